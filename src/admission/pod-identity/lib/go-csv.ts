/**
 * The first record of Go's encoding/csv Reader with its defaults (comma ",", no comment character,
 * no trimming, strict quotes), as the webhook reads the skip-containers annotation.
 */

/**
 * Reads one CSV record. Returns undefined where Go's `Read` returns an error (a bare `"` in an
 * unquoted field, a stray or unterminated quote, or no record at all). Fields are not trimmed.
 */
export function readCsvRecord(input: string): string[] | undefined {
  // Go's line reader turns "\r\n" into "\n" and drops a lone "\r" before end of input.
  let text = input.replace(/\r\n/g, "\n");
  if (text.endsWith("\r")) text = text.slice(0, -1);
  let pos = 0;
  // Empty lines before the record are skipped.
  while (text[pos] === "\n") pos++;
  if (pos >= text.length) return undefined;

  const fields: string[] = [];
  for (;;) {
    if (text[pos] === '"') {
      // Quoted field: "" is a literal quote; newlines are part of the field.
      let value = "";
      pos++;
      for (;;) {
        const q = text.indexOf('"', pos);
        if (q < 0) return undefined; // unterminated quoted field
        value += text.slice(pos, q);
        pos = q + 1;
        if (text[pos] === '"') {
          value += '"';
          pos++;
          continue;
        }
        break;
      }
      fields.push(value);
      const next = text[pos];
      if (next === ",") {
        pos++;
        continue;
      }
      if (next === undefined || next === "\n") return fields;
      return undefined; // extraneous text after the closing quote
    }
    // Unquoted field: runs to the next comma or the end of the line; a quote inside is an error.
    let end = pos;
    while (end < text.length && text[end] !== "," && text[end] !== "\n") end++;
    const value = text.slice(pos, end);
    if (value.includes('"')) return undefined;
    fields.push(value);
    if (text[end] === ",") {
      pos = end + 1;
      continue;
    }
    return fields;
  }
}
