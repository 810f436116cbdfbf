/**
 * The App's resource options as the App sets them: its parent, and the
 * `import` option, which the engine cannot carry out for a dynamic
 * provider's resource.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../platform/component.js";
import { refusal } from "./refusals.js";

/**
 * An App given a platform is the platform's child (the Pulumi convention, so
 * the tree shows which apps run where), unless the program names a parent.
 * Apps of stacks from before had no parent: the alias to the stack's root
 * keeps their URN's history, so they are neither replaced nor re-created.
 */
export function withPlatformParent(
  platform: Platform | undefined,
  given: pulumi.CustomResourceOptions,
  appName: string,
): pulumi.CustomResourceOptions {
  const opts = adoptionOf(given, appName);
  if (!platform || opts.parent !== undefined) return opts;
  return { ...opts, parent: platform, aliases: [...(opts.aliases ?? []), { parent: pulumi.rootStackResource }] };
}

/**
 * The `import` option, as the App takes it. The engine cannot import a
 * dynamic provider's resource (its Read gets no state to find the provider
 * in: pulumi/pulumi#16175), so the App does not hand the option on: an App
 * is adopted by being created, and creating finds an app of that name on the
 * platform at the declared version and changes nothing (ops.ts rollOutNew);
 * at another version it refuses, naming both. The id is the app's name.
 */
function adoptionOf(opts: pulumi.CustomResourceOptions, appName: string): pulumi.CustomResourceOptions {
  if (opts.import === undefined) return opts;
  const { import: id, ...rest } = opts;
  if (id !== appName) {
    throw refusal(
      `App '${appName}': the import id is the app's name on the platform ('${appName}'), not '${String(id)}'`,
    );
  }
  return rest;
}
