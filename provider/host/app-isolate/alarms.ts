/**
 * Alarms for an app's objects. A facet cannot set alarms ("Facets currently
 * cannot set alarms."), so the object's `ctx.storage.setAlarm`, `getAlarm`
 * and `deleteAlarm` ask the host, whose supervisor (AppObject) owns the real
 * alarm and calls the class's alarm() when it fires, with Workers' retries.
 * The host checks which object asks: an app reaches only its own objects.
 */

/** Which object: an env.OBJECTS name, or a namespace's class, id and id name. */
export type ObjectRef = { object: string } | { className: string; id: string; idName: string | null };

/** What the host's objects entrypoint offers for alarms (data-plane/objects-entrypoint.ts). */
export interface AlarmApi {
  objectAlarm(ref: ObjectRef, op: "set" | "get" | "delete", time: number | null): Promise<number | null>;
}

export function hostAlarms(
  storage: DurableObjectStorage,
  api: AlarmApi,
  props: { dwId?: string; dwClass?: string; dwName?: string; dwObject?: string },
): void {
  const ref: ObjectRef =
    props.dwObject !== undefined
      ? { object: props.dwObject }
      : { className: props.dwClass!, id: props.dwId!, idName: props.dwName ?? null };
  const define = (name: string, value: unknown) => Object.defineProperty(storage, name, { value, configurable: true });
  define("setAlarm", async (time: unknown) => {
    const ms = time instanceof Date ? time.getTime() : Number(time);
    if (!Number.isFinite(ms))
      throw new TypeError("setAlarm(): the time must be a Date or milliseconds since the epoch");
    await api.objectAlarm(ref, "set", ms);
  });
  define("getAlarm", () => api.objectAlarm(ref, "get", null));
  define("deleteAlarm", async () => {
    await api.objectAlarm(ref, "delete", null);
  });
}
