/**
 * The host Worker's bindings, ambient as `wrangler types` generates them, so
 * no module imports a Durable Object class only for its type.
 */
declare namespace Cloudflare {
  interface Env {
    /** worker_loader: runs each app's code in its own isolate. */
    LOADER: WorkerLoader;
    /** The one Catalog object: the app list and platform caps. */
    CATALOG: DurableObjectNamespace<import("./objects/catalog.js").Catalog>;
    /** One AppControl object per app: versions, modules, settings. */
    APP_CONTROL: DurableObjectNamespace<import("./objects/app-control.js").AppControl>;
    /** One AppObject per (app, object name): runs the app's class as a facet. */
    APP_OBJECTS: DurableObjectNamespace<import("./objects/app-object.js").AppObject>;
    /** secret_text: the control API's bearer token. Unset: control API disabled. */
    CONTROL_TOKEN?: string;
    /** secret_text: the token before the last rotation, accepted until CONTROL_TOKEN_PREVIOUS_UNTIL. */
    CONTROL_TOKEN_PREVIOUS?: string;
    /** plain_text: when the previous token stops working (ISO 8601). */
    CONTROL_TOKEN_PREVIOUS_UNTIL?: string;
    /** secret_text: the key of the secrets' digest in version hashes. Unset: versions with secrets are refused. */
    SECRETS_KEY?: string;
    /** json: PlatformConfig. Unset: every default. */
    PLATFORM_CONFIG?: unknown;
  }
}
interface Env extends Cloudflare.Env {}
