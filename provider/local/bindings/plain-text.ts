/** plain_text: a string binding (a "var"). */
import { setPlainBinding, type BindingKind } from "./types.js";

export const plainText: BindingKind<"plain_text"> = {
  check: () => null,
  describe: (b) => ({ type: "plain_text", name: b.name, text: b.text }),
  apply: (b, worker) => setPlainBinding(worker, b.name, b.text),
};
