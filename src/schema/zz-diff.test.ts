import { readFileSync } from 'node:fs';
import { parseGoDuration } from './go-duration';
import { parseRequestURI, parseURL } from './go-url';

test('diff vs go', () => {
  const rows = readFileSync('/tmp/godiff/go-out.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const bad: string[] = [];
  for (const g of rows) {
    const s: string = g.in;
    const req = parseRequestURI(s);
    const reqErr = req.ok ? '' : req.error;
    if (reqErr !== g.reqErr) bad.push(`REQ ${JSON.stringify(s)} go=${g.reqErr} ts=${reqErr}`);
    const p = parseURL(s);
    const pErr = p.ok ? '' : p.error;
    if (pErr !== g.parseErr) bad.push(`PARSE ${JSON.stringify(s)} go=${g.parseErr} ts=${pErr}`);
    if (p.ok && g.parseErr === '') {
      const u = p.url;
      const ts = { scheme: u.scheme, opaque: u.opaque, host: u.host, hostname: u.hostname(), port: u.port(), path: u.path, rawPath: u.rawPath, escPath: u.escapedPath(), rawQuery: u.rawQuery, fragment: u.fragment, query: Object.fromEntries(u.query()), user: u.user?.username ?? null, pass: u.user?.password ?? null };
      for (const k of Object.keys(ts) as (keyof typeof ts)[]) {
        if (JSON.stringify(ts[k]) !== JSON.stringify(g[k])) bad.push(`FIELD ${k} ${JSON.stringify(s)} go=${JSON.stringify(g[k])} ts=${JSON.stringify(ts[k])}`);
      }
    }
    const d = parseGoDuration(s);
    const dErr = d.ok ? '' : d.error;
    if (dErr !== g.durErr) bad.push(`DURERR ${JSON.stringify(s)} go=${g.durErr} ts=${dErr}`);
    if (d.ok && g.durErr === '' && d.nanos !== BigInt(g.dur)) bad.push(`DUR ${JSON.stringify(s)} go=${g.dur} ts=${d.nanos}`);
  }
  console.log(`${rows.length} rows, ${bad.length} mismatches\n${bad.slice(0, 60).join('\n')}`);
});
