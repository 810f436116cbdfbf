/** The counter a request is for: ?name=, else "default". */
export function counterName(url) {
  return url.searchParams.get("name") ?? "default";
}
