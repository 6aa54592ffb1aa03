// Section 1: the engine alone. evaluate() in webhook mode on each bench object, on the load mix, and the other
// per-review work the webhook route does (parse, check, respond, count, log), all in this process, without HTTP.
import { requireDist, requirePackage, webhookEngineContext } from './lib/dist.mjs';
import { loadBenchObjects } from './lib/objects.mjs';
import { envNumber, median } from './lib/report.mjs';
import { reviewFor, reviewMix, storedObject } from './lib/reviews.mjs';
import { runIfMain } from './lib/section.mjs';

/** What validate-route.ts hands to evaluate(). */
function inputOf(review) {
  const r = review.request;
  return {
    operation: r.operation,
    gvk: r.kind,
    object: r.object,
    oldObject: r.oldObject,
    namespace: r.namespace,
    name: r.name,
    dryRun: r.dryRun,
  };
}

let sink = 0;

/** CPU time this process has used, in µs (user + system, GC helper threads included). */
function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Calls fn(i) in batches of about 2 ms until `budgetMs` of wall time has passed, in SLICES slices, and reports the
 * median slice's CPU time per call. CPU time, not wall time: on a shared machine other processes stretch wall time
 * (by 2-3 times at a load average of 4 on 2 cores) but barely change the CPU a call costs.
 */
const SLICES = 5;

/**
 * Runs fn in 250 ms slices until two slices in a row cost within 5% of each other (after at least 2 s), or 10 s.
 * @returns the warm-up's length and the first and last slices' CPU µs per call
 */
function warmUp(fn) {
  const started = performance.now();
  const slices = [];
  for (;;) {
    slices.push(timeLoop(fn, 250, 1).usPerCall);
    const elapsed = performance.now() - started;
    const [a, b] = slices.slice(-2);
    if ((elapsed > 2000 && Math.abs(a - b) / b < 0.05) || elapsed > 10_000) {
      return { ms: elapsed, firstUs: slices[0], lastUs: slices.at(-1) };
    }
  }
}
function timeLoop(fn, budgetMs, slices = SLICES) {
  let batch = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn(i);
    if (Number(process.hrtime.bigint() - t0) > 2e6 || batch >= 1 << 20) break;
    batch *= 2;
  }
  const sliceNs = BigInt(Math.round((budgetMs * 1e6) / slices));
  const perCallUs = [];
  let n = 0;
  for (let s = 0; s < slices; s++) {
    const start = process.hrtime.bigint();
    const cpuStart = cpuMicros();
    let calls = 0;
    do {
      for (let i = 0; i < batch; i++) fn(n + i);
      n += batch;
      calls += batch;
    } while (process.hrtime.bigint() - start < sliceNs);
    perCallUs.push((cpuMicros() - cpuStart) / calls);
  }
  const usPerCall = median(perCallUs);
  return { iterations: n, usPerCall, perSecond: 1e6 / usPerCall };
}

function verdictText(verdict) {
  if (!verdict.handled) return `unhandled: ${verdict.reason}`;
  const warned = verdict.warnings.length > 0 ? `, ${verdict.warnings.length} warning(s)` : '';
  return verdict.allowed ? `allowed${warned}` : `denied (${verdict.violations.length})${warned}`;
}

const section = {
  id: 'engine',
  title: 'Engine only: evaluate() in webhook mode, no HTTP',
  async run() {
    const budgetMs = envNumber('BENCH_ENGINE_MS', 400);
    const { evaluate } = requireDist('engine/evaluate');
    const { parseAdmissionReview } = requireDist('admission/parse-review');
    const { reviewResponse } = requireDist('admission/review-response');
    const { ServerMetrics } = requireDist('server/metrics');
    const pino = requirePackage('pino');

    const { ctx, schemaLoadMs: loadMs } = webhookEngineContext();
    const schemas = ctx.schemas;

    const objects = loadBenchObjects();
    const cases = objects.map((o) => ({ ...o, input: inputOf(reviewFor(storedObject(o.object), 'CREATE')) }));
    const mix = reviewMix(objects).map((m) => ({ ...m, input: inputOf(m.review) }));
    const evalOf = (list) => (i) => {
      const v = evaluate(list[i % list.length].input, ctx);
      sink += v.handled ? v.violations.length : 1;
    };

    // Warm up on the whole mix until the cost per review settles: the generated validators are large, and until
    // TurboFan has compiled them (on background threads whose CPU counts here) a review costs several times more.
    const warmup = warmUp(evalOf(mix));

    const notes = [];
    const rows = [];
    const data = {
      warmup,
      schemaLoadMs: loadMs,
      celRules: schemas.celRuleCount,
      objects: [],
      aggregates: {},
      pipeline: {},
      policies: {},
    };
    for (const c of cases) {
      const verdict = evaluate(c.input, ctx);
      const got = verdictText(verdict);
      const matches = got.startsWith(c.expect);
      if (!matches) notes.push(`${c.file} is meant to be ${c.expect} but meshguard says ${got}`);
      const r = timeLoop(evalOf([c]), budgetMs);
      rows.push([c.kind, c.file, `${got}${matches ? '' : ' (!)'}`, r.usPerCall, r.perSecond]);
      data.objects.push({
        file: c.file,
        kind: c.kind,
        expect: c.expect,
        verdict: got,
        usPerEval: r.usPerCall,
        evalsPerSecond: r.perSecond,
      });
    }
    const aggregates = [
      ['allowed objects, in turn', cases.filter((c) => c.expect === 'allowed')],
      ['denied objects, in turn', cases.filter((c) => c.expect === 'denied')],
      [`load mix (${mix.length} reviews, UPDATEs carry oldObject)`, mix],
    ];
    for (const [label, list] of aggregates) {
      const r = timeLoop(evalOf(list), budgetMs);
      rows.push(['overall', label, '', r.usPerCall, r.perSecond]);
      data.aggregates[label.split(' ')[0] === 'load' ? 'mix' : label.split(' ')[0]] = {
        usPerEval: r.usPerCall,
        evalsPerSecond: r.perSecond,
      };
    }

    // The rest of what POST /validate does per review, stage by stage, over the load mix.
    const bodies = mix.map((m) => m.body);
    const parsed = bodies.map((b) => JSON.parse(b));
    const verdicts = mix.map((m) => evaluate(m.input, ctx));
    const responses = parsed.map((p, i) => reviewResponse(p, verdicts[i]));
    const metrics = new ServerMetrics({ defaultMetrics: false });
    const logger = pino(
      { level: 'info', base: { app: 'meshguard' }, redact: ['req.headers.authorization', 'object', 'oldObject'] },
      pino.destination({ dest: '/dev/null', sync: true }),
    );
    const n = mix.length;
    const stages = [
      [
        'JSON.parse(body)',
        (i) => {
          sink += JSON.parse(bodies[i % n]).request ? 1 : 0;
        },
      ],
      [
        'parseAdmissionReview',
        (i) => {
          sink += parseAdmissionReview(parsed[i % n]).ok ? 1 : 0;
        },
      ],
      ['evaluate', evalOf(mix)],
      [
        'reviewResponse',
        (i) => {
          sink += reviewResponse(parsed[i % n], verdicts[i % n]).response.allowed ? 1 : 0;
        },
      ],
      [
        'JSON.stringify(response)',
        (i) => {
          sink += JSON.stringify(responses[i % n]).length;
        },
      ],
      [
        'metrics: requests.inc + duration.observe',
        (i) => {
          const r = parsed[i % n].request;
          const labels = {
            kind: r.kind.kind,
            operation: r.operation,
            decision: verdicts[i % n].allowed ? 'allowed' : 'denied',
          };
          metrics.requests.inc(labels);
          metrics.duration.observe(labels, 0.0004);
        },
      ],
      [
        'log: child logger + decision line (pino, /dev/null)',
        (i) => {
          const r = parsed[i % n].request;
          const v = verdicts[i % n];
          logger.child({ reqId: `req-${i}` }).info(
            {
              uid: r.uid,
              kind: r.kind.kind,
              namespace: r.namespace,
              name: r.name,
              operation: r.operation,
              dryRun: false,
              allowed: v.allowed,
              decision: v.allowed ? 'allowed' : 'denied',
              ms: 0.412,
            },
            'admission decision',
          );
        },
      ],
    ];
    const pipelineRows = [];
    let total = 0;
    for (const [label, fn] of stages) {
      const r = timeLoop(fn, budgetMs);
      total += r.usPerCall;
      pipelineRows.push([label, r.usPerCall]);
      data.pipeline[label] = r.usPerCall;
    }
    pipelineRows.push(['sum', total]);

    // What each configured policy costs, two ways: alone (evaluate() with only that policy, less with none) and in
    // the configured set (all policies, less all but that one; what removing or speeding it up would save). Every
    // variant is measured in turn, ROUNDS times, and the medians compared, so JIT and machine drift hit all alike.
    const variant = (policies) => {
      const c = { ...ctx, config: { ...ctx.config, policies } };
      return (i) => {
        const v = evaluate(mix[i % n].input, c);
        sink += v.handled ? v.violations.length : 1;
      };
    };
    const active = ctx.config.policies.filter((p) => p.action !== 'off');
    const variants = new Map([
      ['none', variant([])],
      ['all', variant(active)],
    ]);
    for (const p of active) {
      variants.set(`only ${p.policy.id}`, variant([p]));
      variants.set(`without ${p.policy.id}`, variant(active.filter((q) => q !== p)));
    }
    // One round more than is kept: the first only warms every variant up.
    const ROUNDS = 3;
    const samples = new Map();
    for (let r = 0; r <= ROUNDS; r++) {
      for (const [key, fn] of variants) {
        const us = timeLoop(fn, Math.max(40, budgetMs / 5), 1).usPerCall;
        if (r > 0) samples.set(key, [...(samples.get(key) ?? []), us]);
      }
    }
    const cost = (key) => median(samples.get(key));
    const all = cost('all');
    const none = cost('none');
    // How far apart the rounds of the full set were: an in-set difference smaller than that is noise.
    const noise = Math.max(...samples.get('all')) - Math.min(...samples.get('all'));
    const shown = (us) => (Math.abs(us) < noise ? `< ±${noise.toFixed(1)}` : us);
    const policyRows = [
      ['all policies', '', all, all - none, '100%'],
      ['(no policy: lookup, object ref, verdict)', '', none, '', ''],
    ];
    for (const p of active) {
      const alone = cost(`only ${p.policy.id}`) - none;
      const inSet = all - cost(`without ${p.policy.id}`);
      const share = Math.abs(inSet) < noise ? '' : `${((inSet / all) * 100).toFixed(0)}%`;
      policyRows.push([p.policy.id, p.action, alone, shown(inSet), share]);
      data.policies[p.policy.id] = { alone, inSet };
    }
    data.policies['(all)'] = { all, none, noise };
    notes.push(
      `policy costs: medians of ${ROUNDS} rounds over every variant in turn; 'in set' is a difference of two such medians, ` +
        `shown as '< ±${noise.toFixed(1)}' when smaller than the spread of the full set's rounds`,
    );
    const meanBody = bodies.reduce((a, b) => a + b.length, 0) / n;
    notes.push(
      `figures are this process's CPU time per call (median of ${SLICES} slices of ${budgetMs / SLICES} ms), measured after ` +
        `${(warmup.ms / 1000).toFixed(1)} s of warm-up on the whole mix, in which evaluate() went from ` +
        `${warmup.firstUs.toFixed(0)} to ${warmup.lastUs.toFixed(0)} CPU µs per review`,
    );
    notes.push(
      `IstioSchemas.load() took ${loadMs.toFixed(0)} ms in this process; ${schemas.celRuleCount} CEL rules; ` +
        `policies: ${ctx.config.policies.map((p) => `${p.policy.id}=${p.action}`).join(', ')} (${process.env.BENCH_CONFIG || 'embedded default configuration'})`,
    );
    notes.push(
      `load mix: ${mix.filter((m) => m.expect === 'allowed').length} allowed and ${mix.filter((m) => m.expect === 'denied').length} denied reviews, bodies ${Math.round(meanBody)} bytes on average`,
    );
    if (sink === 0.5) notes.push('');

    return {
      tables: [
        {
          title: 'evaluate() per object (CREATE of the stored object)',
          columns: ['kind', 'object', 'verdict', 'CPU µs/eval', 'evals/CPU-s'],
          rows,
        },
        {
          title: 'Per-review work of POST /validate over the load mix, outside HTTP',
          columns: ['stage', 'CPU µs/review'],
          rows: pipelineRows,
        },
        {
          title:
            'What each policy costs evaluate() over the load mix: alone (only it, less none) and in the set (all, less all but it)',
          columns: ['policy', 'action', 'alone µs', 'in set µs', 'of all'],
          rows: policyRows,
        },
      ],
      notes,
      targets: [],
      data,
    };
  },
};

export default section;

await runIfMain(import.meta.url, section);
