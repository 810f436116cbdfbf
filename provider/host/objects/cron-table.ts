/**
 * The Catalog's index of cron triggers: which apps have which crons, so the
 * host's one cron trigger finds the apps due in one read. Written when an
 * app's settings are put, dropped with the app.
 */
export const CRON_TABLE_STEP = `CREATE TABLE _dw_crons (app TEXT NOT NULL, cron TEXT NOT NULL, PRIMARY KEY (app, cron))`;

/** An app with its cron expressions. */
export interface AppCrons {
  app: string;
  crons: string[];
}

export function setCrons(sql: SqlStorage, app: string, crons: readonly string[]): void {
  sql.exec("DELETE FROM _dw_crons WHERE app = ?", app);
  for (const cron of crons) sql.exec("INSERT INTO _dw_crons (app, cron) VALUES (?, ?)", app, cron);
}

/** Every app with crons, in name order. */
export function allCrons(sql: SqlStorage): AppCrons[] {
  const out: AppCrons[] = [];
  for (const r of sql.exec<{ app: string; cron: string }>("SELECT app, cron FROM _dw_crons ORDER BY app, cron")) {
    const last = out.at(-1);
    if (last?.app === r.app) last.crons.push(r.cron);
    else out.push({ app: r.app, crons: [r.cron] });
  }
  return out;
}
