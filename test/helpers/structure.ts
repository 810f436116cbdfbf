/**
 * The repository's layout rules, as pure functions over `{ path, text }`
 * lists (paths relative to the repository root, `/`-separated), so the same
 * code checks the real tree and small synthetic ones. Parsing is done with
 * the TypeScript compiler API, so imports inside strings or comments are not
 * mistaken for imports, and type-only ones are not missed.
 */
import { posix } from "node:path";
import ts from "typescript";

export interface SourceText {
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  line: number;
  message: string;
}

/** One module reference in a file, in any of the forms that create a dependency. */
export interface ImportRef {
  specifier: string;
  line: number;
  form: string;
}

/** What a specifier names: a file of the tree (present or not), or a package. */
export type Target = { file: string } | { package: string };

export interface Edge extends ImportRef {
  from: string;
  target: Target;
}

/** Where the code lives; everything else (dist/, node_modules/, schema/) is not checked. */
export const CODE_ROOTS = ["provider/", "test/", "bench/", "scripts/", "examples/", "bin/", "policy/"];

const CODE_FILE = /\.([mc]?ts|[mc]?js)$/;

/** Whether a path is a source file under one of the code roots. */
export const isCodePath = (p: string): boolean => CODE_ROOTS.some((r) => p.startsWith(r)) && CODE_FILE.test(p);

const under = (dir: string) => (p: string) => p.startsWith(dir);
const inProvider = under("provider/");
const inHost = under("provider/host/");
const inShared = under("provider/shared/");

// ---------------------------------------------------------------- parsing

// Each rule walks the same files; parse each text once.
const parsed = new WeakMap<SourceText, ts.SourceFile>();

function parse(file: SourceText): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    const kind = /\.[mc]?js$/.test(file.path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
    sf = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, kind);
    parsed.set(file, sf);
  }
  return sf;
}

const lineOf = (sf: ts.SourceFile, pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** The specifier and form of one node, if it is a module reference. */
function moduleReference(node: ts.Node): { spec: ts.Expression; form: string } | undefined {
  if (ts.isImportDeclaration(node)) {
    return { spec: node.moduleSpecifier, form: node.importClause?.isTypeOnly ? "import type" : "import" };
  }
  if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
    return { spec: node.moduleSpecifier, form: node.isTypeOnly ? "export type … from" : "export … from" };
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return { spec: node.moduleReference.expression, form: "import = require()" };
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
    return { spec: node.argument.literal, form: "import() type" };
  }
  if (ts.isCallExpression(node) && node.arguments.length >= 1) {
    const callee = node.expression;
    if (callee.kind === ts.SyntaxKind.ImportKeyword) return { spec: node.arguments[0]!, form: "import()" };
    if (ts.isIdentifier(callee) && callee.text === "require") return { spec: node.arguments[0]!, form: "require()" };
  }
  return undefined;
}

/** Every literal module reference in a file; computed ones (`import(url.href)`) cannot be followed. */
export function collectImports(file: SourceText): ImportRef[] {
  const sf = parse(file);
  const out: ImportRef[] = [];
  walk(sf, (node) => {
    const ref = moduleReference(node);
    if (ref && ts.isStringLiteralLike(ref.spec)) {
      out.push({ specifier: ref.spec.text, line: lineOf(sf, node.getStart(sf)), form: ref.form });
    }
  });
  return out;
}

// ------------------------------------------------------------- resolution

/** `zod/mini` is zod, `@a/b/c` is @a/b; `node:fs` and `cloudflare:workers` stay whole. */
export function packageName(spec: string): string {
  if (spec.includes(":")) return spec;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * NodeNext style: `./x.js` names x.ts (or x.d.ts) when that exists; an
 * extensionless path may be a folder's index. An unmatched path is returned
 * as written, so rules on folders still apply to files that are missing.
 */
export function resolveSpecifier(from: string, spec: string, known: ReadonlySet<string>): Target {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return { package: packageName(spec) };
  const base = posix.join(posix.dirname(from), spec);
  const js = /^(.*)\.([mc]?)js$/.exec(base);
  const candidates = js
    ? [`${js[1]}.${js[2]}ts`, `${js[1]}.d.${js[2]}ts`, base]
    : [base, `${base}.ts`, `${base}.d.ts`, `${base}/index.ts`, `${base}/index.d.ts`];
  return { file: candidates.find((c) => known.has(c)) ?? base };
}

/** Every module reference of every file, resolved against the files given. */
export function importEdges(files: readonly SourceText[]): Edge[] {
  const known = new Set(files.map((f) => f.path));
  return files.flatMap((f) =>
    collectImports(f).map((ref) => ({ ...ref, from: f.path, target: resolveSpecifier(f.path, ref.specifier, known) })),
  );
}

const describeTarget = (t: Target): string => ("file" in t ? t.file : `package ${t.package}`);

// ------------------------------------------------------ rules 1–3: boundaries

/** Which files a boundary governs, and which targets they may import. */
export interface Boundary {
  rule: string;
  applies: (file: string) => boolean;
  allows: (target: Target) => boolean;
}

export const sharedBoundary: Boundary = {
  rule: "provider/shared/ imports only provider/shared/, zod and croner",
  applies: inShared,
  allows: (t) => ("file" in t ? inShared(t.file) : t.package === "zod" || t.package === "croner"),
};

// "app-isolate:runtime" is the build's own virtual module: app-isolate/runtime.ts as text (scripts/build-host.mjs).
export const hostBoundary: Boundary = {
  rule: "provider/host/ imports only provider/host/, provider/shared/, zod, croner, @noble/hashes, cloudflare:* and app-isolate:runtime",
  applies: inHost,
  allows: (t) =>
    "file" in t
      ? inHost(t.file) || inShared(t.file)
      : t.package === "zod" ||
        t.package === "croner" ||
        t.package === "@noble/hashes" ||
        t.package.startsWith("cloudflare:") ||
        t.package === "app-isolate:runtime",
};

const APP_ISOLATE = "provider/host/app-isolate/";
// What runs in the app's isolate is bundled alone: it takes nothing of the rest of the host with it.
export const appIsolateBoundary: Boundary = {
  rule: "provider/host/app-isolate/ (but main-module.ts, which runs in the host) imports only app-isolate/, @noble/hashes and cloudflare:*",
  applies: (p) => p.startsWith(APP_ISOLATE) && p !== `${APP_ISOLATE}main-module.ts`,
  allows: (t) =>
    "file" in t ? t.file.startsWith(APP_ISOLATE) : t.package.startsWith("cloudflare:") || t.package === "@noble/hashes",
};

// Node code reaches the host Worker only through its built bundle, dist/host.js.
export const nodeBoundary: Boundary = {
  rule: "code outside provider/host/ does not import provider/host/",
  applies: (p) => isCodePath(p) && !inHost(p),
  allows: (t) => !("file" in t && inHost(t.file)),
};

export function checkBoundary(files: readonly SourceText[], b: Boundary): Violation[] {
  return importEdges(files)
    .filter((e) => b.applies(e.from) && !b.allows(e.target))
    .map((e) => ({
      file: e.from,
      line: e.line,
      message: `${e.form} "${e.specifier}" → ${describeTarget(e.target)}: ${b.rule}`,
    }));
}

// ----------------------------------------------------------- rule 4: cycles

/** Tarjan's strongly connected components, each in discovery order. */
export function stronglyConnected(nodes: readonly string[], next: (n: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) visit(w);
      if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = ""; w !== v; ) {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    }
    out.push(scc);
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

/** One violation per cycle (a component of two or more files, or a file importing itself). */
export function checkCycles(files: readonly SourceText[], inScope: (p: string) => boolean = inProvider): Violation[] {
  const scoped = files.filter((f) => inScope(f.path));
  const known = new Set(scoped.map((f) => f.path));
  const edges = importEdges(scoped).filter(
    (e): e is Edge & { target: { file: string } } => "file" in e.target && known.has(e.target.file),
  );
  const next = (n: string) => edges.filter((e) => e.from === n).map((e) => e.target.file);
  return stronglyConnected([...known].sort(), next)
    .map((scc) => scc.sort())
    .filter((scc) => scc.length > 1 || next(scc[0]!).includes(scc[0]!))
    .map((scc) => {
      const inner = edges.filter((e) => scc.includes(e.from) && scc.includes(e.target.file));
      const first = inner.find((e) => e.from === scc[0])!;
      const via = inner.map((e) => `${e.from}:${e.line} → ${e.target.file}`).join("; ");
      return { file: scc[0]!, line: first.line, message: `import cycle among ${scc.join(", ")} (${via})` };
    });
}

// ------------------------------------------------------ rules 5–6: lengths

/** Physical lines, as `wc -l` counts them, plus a last line without a newline. */
export const lineCount = (text: string): number =>
  text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

export function checkFileLengths(
  files: readonly SourceText[],
  applies: (p: string) => boolean,
  max = 400,
): Violation[] {
  return files
    .filter((f) => applies(f.path) && lineCount(f.text) > max)
    .map((f) => ({ file: f.path, line: max + 1, message: `file has ${lineCount(f.text)} lines (limit ${max})` }));
}

type FunctionNode = ts.FunctionLikeDeclaration & { body: ts.Node };

// Declarations without a body (overloads, interface members, `declare`) have no length.
const isFunctionWithBody = (n: ts.Node): n is FunctionNode =>
  (ts.isFunctionDeclaration(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isArrowFunction(n) ||
    ts.isFunctionExpression(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n)) &&
  n.body !== undefined;

/** A readable name: its own, the variable or property holding it, or the call it is passed to. */
export function functionName(fn: FunctionNode, sf: ts.SourceFile): string {
  const owner = ts.isClassLike(fn.parent) && fn.parent.name ? `${fn.parent.name.text}.` : "";
  if (ts.isConstructorDeclaration(fn)) return `${owner}constructor`;
  const prefix = ts.isGetAccessorDeclaration(fn) ? "get " : ts.isSetAccessorDeclaration(fn) ? "set " : "";
  if (fn.name) return `${prefix}${owner}${fn.name.getText(sf)}`;
  const p = fn.parent;
  if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) {
    return p.name.getText(sf);
  }
  if (ts.isCallExpression(p) || ts.isNewExpression(p)) return `callback of ${p.expression.getText(sf).slice(0, 40)}`;
  return "<anonymous>";
}

export function checkFunctionLengths(
  files: readonly SourceText[],
  applies: (p: string) => boolean,
  max = 60,
): Violation[] {
  const out: Violation[] = [];
  for (const f of files.filter((x) => applies(x.path))) {
    const sf = parse(f);
    walk(sf, (n) => {
      if (!isFunctionWithBody(n)) return;
      const start = lineOf(sf, n.getStart(sf));
      const lines = lineOf(sf, n.getEnd()) - start + 1;
      if (lines > max) {
        const kind = ts.SyntaxKind[n.kind];
        out.push({
          file: f.path,
          line: start,
          message: `${kind} ${functionName(n, sf)} is ${lines} lines (limit ${max})`,
        });
      }
    });
  }
  return out;
}

// -------------------------------------------------------- rule 7: re-exports

/** An index file is where a folder's public surface is gathered. */
export const isProviderIndex = (p: string): boolean => inProvider(p) && /(^|\/)index\.(d\.)?ts$/.test(p);

export function checkReExports(
  files: readonly SourceText[],
  allowed: (p: string) => boolean = isProviderIndex,
): Violation[] {
  const out: Violation[] = [];
  for (const f of files.filter((x) => !allowed(x.path))) {
    const sf = parse(f);
    for (const st of sf.statements) {
      if (!ts.isExportDeclaration(st) || !st.moduleSpecifier) continue;
      const text = st.getText(sf).replace(/\s+/g, " ");
      out.push({ file: f.path, line: lineOf(sf, st.getStart(sf)), message: `re-export outside an index.ts: ${text}` });
    }
  }
  return out;
}

// ------------------------------------------------------------ the scopes

/** Rule 5's files: the code of provider/, bench/, scripts/ and test/ (not test's fixtures). */
export const fileLengthScope = (p: string): boolean =>
  isCodePath(p) && /^(provider|bench|scripts|test)\//.test(p) && !p.startsWith("test/fixtures/");

/** Rule 6's files: tests may hold long tables of cases, so test/ is not held to it. */
export const functionLengthScope = (p: string): boolean => isCodePath(p) && /^(provider|bench|scripts)\//.test(p);

/** `file:line: message`, one a line, for failure messages. */
export const formatViolations = (vs: readonly Violation[]): string[] =>
  vs.map((v) => `${v.file}:${v.line}: ${v.message}`);
