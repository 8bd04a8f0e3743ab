/**
 * Renderings of an audit report: plain text for the terminal, and one self-contained HTML page
 * (inline CSS, no scripts, no external resources; every value escaped).
 */
import type { AuditFinding, AuditReport, ControlResult } from "./audit.js";

function mark(c: ControlResult): string {
  return c.status === "pass" ? "✓" : c.status === "fail" ? "✗" : "–";
}

function findingLines(f: AuditFinding): string[] {
  return [
    `    ✗ [${f.severity}] ${f.control}: ${f.object}`,
    `        field: ${f.field}`,
    `        ${f.message}`,
    `        fix: ${f.fix}`,
  ];
}

export function formatAuditText(r: AuditReport): string {
  const out: string[] = [];
  if (r.tenants.length === 0) out.push("no Tenant objects found");
  for (const t of r.tenants) {
    out.push(
      `tenant ${t.tenant}: score ${t.score}/100 (${t.findings.length} finding${t.findings.length === 1 ? "" : "s"}; namespaces: ${t.namespaces.length > 0 ? t.namespaces.join(", ") : "none"})`,
    );
    for (const c of t.controls) {
      out.push(`  ${mark(c)} ${c.id} — ${c.title}${c.status === "n/a" ? " (not applicable)" : ""}`);
      for (const f of t.findings.filter((x) => x.control === c.id)) out.push(...findingLines(f));
    }
    out.push("");
  }
  out.push(`cluster: score ${r.cluster.score}/100`);
  for (const c of r.cluster.controls) {
    out.push(`  ${mark(c)} ${c.id} — ${c.title}${c.status === "n/a" ? " (not applicable)" : ""}`);
    for (const f of r.cluster.findings.filter((x) => x.control === c.id)) out.push(...findingLines(f));
  }
  out.push(
    "",
    `overall score ${r.score}/100; findings: ${r.totals.findings} (high ${r.totals.high}, medium ${r.totals.medium}, low ${r.totals.low})`,
  );
  return out.join("\n");
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2430;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #d8dde6;padding-bottom:.25rem}
.meta{color:#5a6475;margin:0 0 1rem}.score{display:inline-block;min-width:3.5rem;text-align:center;padding:.1rem .5rem;border-radius:.4rem;color:#fff;font-weight:600}
.good{background:#1f7a3f}.fair{background:#a86400}.poor{background:#b3261e}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e6e9ef}
th{background:#f4f6f9;font-weight:600}td.st{width:1.5rem;text-align:center}.pass{color:#1f7a3f}.fail{color:#b3261e}.na{color:#8a93a3}
.sev{font-size:.8rem;padding:0 .35rem;border-radius:.3rem;border:1px solid currentColor}.high{color:#b3261e}.medium{color:#a86400}.low{color:#3b5bdb}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f4f6f9;padding:0 .2rem;border-radius:.2rem;word-break:break-all}
`;

function scoreBadge(n: number): string {
  const cls = n >= 90 ? "good" : n >= 60 ? "fair" : "poor";
  return `<span class="score ${cls}">${n}</span>`;
}

function controlsTable(controls: readonly ControlResult[]): string {
  const rows = controls
    .map((c) => {
      const cls = c.status === "pass" ? "pass" : c.status === "fail" ? "fail" : "na";
      return `<tr><td class="st ${cls}">${mark(c)}</td><td><code>${escapeHtml(c.id)}</code></td><td>${escapeHtml(c.title)}</td><td><span class="sev ${c.severity}">${c.severity}</span></td><td>${escapeHtml(c.guide)}</td><td>${c.status === "n/a" ? "n/a" : c.findings}</td></tr>`;
    })
    .join("\n");
  return `<table><thead><tr><th></th><th>control</th><th>what it checks</th><th>severity</th><th>guide</th><th>findings</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function findingsTable(findings: readonly AuditFinding[]): string {
  if (findings.length === 0) return "<p>No findings.</p>";
  const rows = findings
    .map(
      (f) =>
        `<tr><td><span class="sev ${f.severity}">${f.severity}</span></td><td><code>${escapeHtml(f.control)}</code></td><td>${escapeHtml(f.object)}</td><td><code>${escapeHtml(f.field)}</code></td><td>${escapeHtml(f.message)}</td><td>${escapeHtml(f.fix)}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>severity</th><th>control</th><th>object</th><th>field</th><th>finding</th><th>fix</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** One self-contained HTML page. `generatedAt` is printed as given (the caller owns the clock). */
export function renderAuditHtml(
  r: AuditReport,
  opts: { generatedAt?: string; source?: string } = {},
): string {
  const parts: string[] = [];
  parts.push(`<h1>kubeiam tenancy audit ${scoreBadge(r.score)}</h1>`);
  parts.push(
    `<p class="meta">${opts.generatedAt ? `generated ${escapeHtml(opts.generatedAt)} · ` : ""}${opts.source ? `objects from ${escapeHtml(opts.source)} · ` : ""}${r.tenants.length} tenant(s) · ${r.totals.findings} finding(s): ${r.totals.high} high, ${r.totals.medium} medium, ${r.totals.low} low</p>`,
  );
  for (const t of r.tenants) {
    parts.push(
      `<h2 id="tenant-${escapeHtml(t.tenant)}">Tenant ${escapeHtml(t.tenant)} ${scoreBadge(t.score)}</h2>`,
    );
    parts.push(
      `<p class="meta">namespaces: ${t.namespaces.length > 0 ? t.namespaces.map((n) => `<code>${escapeHtml(n)}</code>`).join(" ") : "none"}</p>`,
    );
    parts.push(controlsTable(t.controls));
    parts.push(findingsTable(t.findings));
  }
  parts.push(`<h2>Cluster ${scoreBadge(r.cluster.score)}</h2>`);
  parts.push(controlsTable(r.cluster.controls));
  parts.push(findingsTable(r.cluster.findings));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>kubeiam tenancy audit</title>
<style>${CSS}</style>
</head>
<body>
${parts.join("\n")}
</body>
</html>
`;
}
