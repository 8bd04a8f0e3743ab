/**
 * Go's path.Clean and filepath.Join on a Unix host, which build the token file path from the mount
 * path and the token file name.
 */

/** path.Clean: one slash between elements, no "." elements, ".." resolved lexically, no trailing slash. */
export function goCleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const body = out.join("/");
  if (rooted) return "/" + body;
  return body === "" ? "." : body;
}

/** filepath.Join: joins the non-empty elements with "/" and cleans the result; "" when all are empty. */
export function goJoinPath(...elems: string[]): string {
  const parts = elems.filter((e) => e !== "");
  return parts.length === 0 ? "" : goCleanPath(parts.join("/"));
}
