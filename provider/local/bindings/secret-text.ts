/** secret_text: a string binding whose value the API never shows again. */
import { setPlainBinding, type BindingKind } from "./types.js";

export const secretText: BindingKind<"secret_text"> = {
  check: () => null,
  // Cloudflare lists a secret's name and type only.
  describe: (b) => ({ type: "secret_text", name: b.name }),
  apply: (b, worker) => setPlainBinding(worker, b.name, b.text),
};
