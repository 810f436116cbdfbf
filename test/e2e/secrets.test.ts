// A secret stays secret: a 4-digit secret (`pin`, stack config set with
// --secret) is brute-forced from everything public about its app: the output
// of `pulumi preview --diff`, `preview --json` and `up`, the stack outputs,
// the state as `pulumi stack export` shows it, and every answer of the
// control API to a holder of the control token. An attacker tries each of the
// 10,000 pins against each value exposed: the pin in plain text, and the
// version hash recomputed with the package's own hash rule, unkeyed as it
// was, and keyed (rule 2 of shared/version-hash.ts) with every 64-digit hex
// value exposed, in case the platform's secrets key is one of them.
import { createHash, createHmac } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { canonicalVersionText, type VersionManifest } from "../../provider/shared/version-hash.js";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

const PROJECT = join(ROOT, "test", "e2e", "projects", "secrets");
const DEPLOYED_PIN = "4821";
const PLANNED_PIN = "7305";

/** Everything an attacker reads, as text, and each hex digest in it. */
class Exposed {
  readonly texts: string[] = [];
  add(what: string, text: string): void {
    this.texts.push(`== ${what}\n${text}`);
  }
  get all(): string {
    return this.texts.join("\n");
  }
  hexes(): Set<string> {
    return new Set(this.all.match(/[0-9a-f]{64}/g) ?? []);
  }
}

type PublicCode = Pick<VersionManifest, "mainModule" | "modules"> & Partial<VersionManifest>;

/** Every pin the exposed values give away, and how: seen in plain text as the secret's value, or reproducing a hash shown. */
function bruteForce(exposed: Exposed, code: PublicCode): string[] {
  const text = exposed.all;
  const hexes = exposed.hexes();
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  const keys = [...hexes];
  const found: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const pin = String(i).padStart(4, "0");
    const manifest: VersionManifest = {
      mainModule: code.mainModule,
      compatibilityDate: code.compatibilityDate ?? "2026-07-01",
      compatibilityFlags: code.compatibilityFlags ?? [],
      durableObject: code.durableObject ?? null,
      env: { ...code.env, PIN: pin },
      modules: code.modules,
    };
    if (text.includes(`"PIN":"${pin}"`) || text.includes(`"PIN": "${pin}"`)) found.push(`${pin} in plain text`);
    if (hexes.has(sha(canonicalVersionText(manifest)))) found.push(`${pin} from a version hash`);
    const secrets = JSON.stringify([["PIN", pin]]);
    for (const key of keys) {
      const digest = createHmac("sha256", Buffer.from(key, "utf8")).update(secrets).digest("hex");
      const keyed = { ...manifest, env: code.env ?? {}, secrets: { names: ["PIN"], digest } };
      if (hexes.has(sha(canonicalVersionText(keyed)))) found.push(`${pin} from a version hash, keyed with ${key}`);
    }
  }
  return found;
}

e2e("secrets through the pulumi CLI", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-secrets-state-");
  let target: LocalTarget;
  let stack: Stack;
  const exposed = new Exposed();
  let code: PublicCode;

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, PROJECT);
    stack.init();
    stack.run(["config", "set", "--secret", "pin", DEPLOYED_PIN]);

    exposed.add("preview --diff", stack.run(["preview", "--diff"]).stdout);
    exposed.add("preview --json", stack.run(["preview", "--json"]).stdout);
    exposed.add("up", stack.run(["up", "--yes", "--diff"]).stdout);
    exposed.add("stack output", stack.run(["stack", "output", "--json"]).stdout);
    const exported = stack.run(["stack", "export"]).stdout;
    exposed.add("stack export", exported);

    const outputs = JSON.parse(stack.run(["stack", "output", "--json"]).stdout) as { controlUrl: string };
    const control = new ControlClient({ url: outputs.controlUrl, token: stack.controlToken() });
    const answers: Record<string, unknown> = {
      platform: await control.call("getPlatform"),
      apps: await control.listApps(),
      app: await control.getApp("vault"),
      versions: await control.listVersions("vault"),
      usage: await control.usage("vault"),
      logs: await control.logs("vault"),
      errors: await control.errors("vault"),
    };
    for (const v of (answers.versions as { versions: { versionHash: string }[] }).versions) {
      answers[`version ${v.versionHash}`] = await control.getVersion("vault", v.versionHash, false);
      answers[`version ${v.versionHash} with contents`] = await control.getVersion("vault", v.versionHash);
      answers[`sources ${v.versionHash}`] = await control.getSources("vault", v.versionHash);
    }
    for (const [what, answer] of Object.entries(answers)) exposed.add(`control API: ${what}`, JSON.stringify(answer));

    // A change of the secret, as a pull request's preview shows it.
    stack.run(["config", "set", "--secret", "pin", PLANNED_PIN]);
    exposed.add("preview --diff (new pin)", stack.run(["preview", "--diff"]).stdout);
    exposed.add("preview --json (new pin)", stack.run(["preview", "--json"]).stdout);

    const st = JSON.parse(exported) as {
      deployment: { resources: { type: string; outputs?: { code?: PublicCode } }[] };
    };
    code = st.deployment.resources.find((r) => r.type.endsWith(":App"))!.outputs!.code!;
  }, 600_000);

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
  });

  it("the app gets its secret", async () => {
    const outputs = JSON.parse(stack.run(["stack", "output", "--json"]).stdout) as { controlUrl: string };
    const res = await fetch(`${outputs.controlUrl}/apps/vault/`);
    expect(await res.json()).toEqual({ mode: "test", pinLength: 4 });
  });

  it("no pin, deployed or planned, can be found from anything public", () => {
    expect(exposed.texts.length).toBeGreaterThan(10);
    // What the attack is tried against: the deployed version's hash is among the values exposed.
    const outputs = JSON.parse(stack.run(["stack", "output", "--json"]).stdout) as { versionHash: string };
    expect(exposed.hexes()).toContain(outputs.versionHash);
    expect(bruteForce(exposed, code)).toEqual([]);
  });

  it("the same attack finds both pins once it has the platform's secrets key (so the attack above is sound)", () => {
    const st = JSON.parse(stack.run(["stack", "export", "--show-secrets"]).stdout) as {
      deployment: { resources: { type: string; outputs?: { secretsKey?: unknown } }[] };
    };
    const stored = st.deployment.resources.find((r) => r.type.endsWith(":HostWorker"))!.outputs!.secretsKey;
    const key =
      typeof stored === "string" ? stored : (JSON.parse((stored as { plaintext: string }).plaintext) as string);
    const withKey = new Exposed();
    withKey.texts.push(...exposed.texts);
    withKey.add("the secrets key", key);
    expect(bruteForce(withKey, code)).toEqual([
      `${DEPLOYED_PIN} from a version hash, keyed with ${key}`,
      `${PLANNED_PIN} from a version hash, keyed with ${key}`,
    ]);
  });
});
