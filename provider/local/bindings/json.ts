/** json: a binding holding any JSON value. */
import { setPlainBinding, type BindingKind } from "./types.js";

export const jsonBinding: BindingKind<"json"> = {
  check: () => null,
  describe: (b) => ({ type: "json", name: b.name, json: b.json }),
  apply: (b, worker) => setPlainBinding(worker, b.name, b.json),
};
