// The fuzzer's input generator: case `i` of seed `s` is a pure function of (s, i), so any failing case can be
// replayed alone (FUZZ_SEED=s FUZZ_ONLY=i npm run fuzz). Each case is a mutation of a valid AdmissionReview (or a
// framing mistake on the wire) and says what a correct server may answer.

/** mulberry32: small, fast, good enough to pick mutations. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (list) => list[int(list.length)],
    chance: (p) => next() < p,
  };
}

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'nul\u0000inside',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\u202e.evil.com', // right-to-left override
  'zero\u200bwidth',
  '\ufeffbom',
  'e\u0301\u0301\u0301\u0301', // stacked combining marks
  '🦄'.repeat(50),
  'ﬁ', // compatibility ligature
  'İstanbul', // case-folding trap
  '*',
  '*.*',
  '../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point (a log4shell probe)
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '%00%ff',
  'a'.repeat(64),
  '0x7fffffff',
  'STRICT\n',
  'Ｓ𝐓𝐑𝐈𝐂𝐓', // look-alike
];

const ODD_NUMBERS = [0, -1, -0, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, 5e-324, 65536, 4294967296];

function randomScalar(r) {
  switch (r.int(6)) {
    case 0:
      return r.pick(ODD_STRINGS);
    case 1:
      return r.pick(ODD_NUMBERS);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return [];
    default:
      return {};
  }
}

/** Every [parent, key] in the tree, root excluded, up to `limit` entries (breadth-first). */
function slots(root, limit = 5000) {
  const out = [];
  const queue = [root];
  while (queue.length > 0 && out.length < limit) {
    const node = queue.shift();
    if (node === null || typeof node !== 'object') continue;
    for (const key of Object.keys(node)) {
      out.push([node, key]);
      queue.push(node[key]);
    }
  }
  return out;
}

function objects(root) {
  const out = [root];
  for (const [parent, key] of slots(root)) {
    const v = parent[key];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v);
  }
  return out;
}

function nested(depth, r) {
  let v = r.pick(ODD_STRINGS);
  for (let i = 0; i < depth; i++) v = r.chance(0.5) ? { a: v } : [v];
  return v;
}

/** Tree mutations: each changes `review` in place and returns a label. */
const TREE_MUTATIONS = {
  wrongType(review, r) {
    const all = slots(review);
    const [parent, key] = r.pick(all);
    parent[key] = randomScalar(r);
    return `wrongType ${key}`;
  },
  hugeString(review, r) {
    const [parent, key] = r.pick(slots(review));
    const size = r.pick([10_000, 100_000, 1_000_000]);
    parent[key] = r.pick(['x', 'é', '🦄', '\\']).repeat(size);
    return `hugeString ${key} ${size}`;
  },
  hugeArray(review, r) {
    const [parent, key] = r.pick(slots(review));
    const n = r.pick([1_000, 20_000, 100_000]);
    const item = r.pick([1, 'a', {}, { host: 'x' }, null]);
    // Copies, not one shared object: a later mutation inside one item must not grow all of them.
    parent[key] = Array.from({ length: n }, () => structuredClone(item));
    return `hugeArray ${key} ${n}`;
  },
  deepNesting(review, r) {
    const [parent, key] = r.pick(slots(review));
    const depth = r.pick([20, 60, 99, 101, 500, 3000]);
    parent[key] = nested(depth, r);
    return `deepNesting ${key} ${depth}`;
  },
  oddUnicode(review, r) {
    const strings = slots(review).filter(([p, k]) => typeof p[k] === 'string');
    if (strings.length === 0) return 'oddUnicode (none)';
    const [parent, key] = r.pick(strings);
    parent[key] = r.chance(0.5) ? r.pick(ODD_STRINGS) : `${parent[key]}${r.pick(ODD_STRINGS)}`;
    if (r.chance(0.3)) {
      const target = r.pick(objects(review));
      target[r.pick(ODD_STRINGS)] = r.pick(ODD_STRINGS);
    }
    return `oddUnicode ${key}`;
  },
  protoKey(review, r) {
    const target = r.pick(objects(review));
    const key = r.pick(['__proto__', 'constructor', 'prototype']);
    // An own property named __proto__, as JSON.parse makes one: JSON.stringify writes it out.
    Object.defineProperty(target, key, {
      value: key === 'constructor' ? { prototype: { polluted: true } } : { polluted: true },
      enumerable: true,
      configurable: true,
      writable: true,
    });
    return `protoKey ${key}`;
  },
  deleteField(review, r) {
    const [parent, key] = r.pick(slots(review, 200));
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
    return `deleteField ${key}`;
  },
  oddHeaderFields(review, r) {
    const req = review.request && typeof review.request === 'object' ? review.request : review;
    const field = r.pick(['uid', 'operation', 'kind', 'namespace', 'name', 'dryRun', 'userInfo', 'resource']);
    req[field] = r.chance(0.5) ? randomScalar(r) : r.pick(['CREATE ', 'create', 'PATCH', 'AdmissionReview', '']);
    if (r.chance(0.2)) review.apiVersion = r.pick(['admission.k8s.io/v2', 'v1', '', null]);
    if (r.chance(0.2)) review.kind = r.pick(['admissionreview', 'Pod', 7]);
    return `oddHeaderFields ${field}`;
  },
  swapKind(review, r) {
    const kinds = [
      'VirtualService',
      'DestinationRule',
      'Gateway',
      'PeerAuthentication',
      'AuthorizationPolicy',
      'Sidecar',
      'ServiceEntry',
      'EnvoyFilter',
      'WasmPlugin',
      'Telemetry',
      'Unknown',
    ];
    const groups = [
      'networking.istio.io',
      'security.istio.io',
      'telemetry.istio.io',
      'extensions.istio.io',
      'apps',
      '',
    ];
    const versions = ['v1', 'v1beta1', 'v1alpha3', 'v2'];
    if (review.request && typeof review.request === 'object') {
      review.request.kind = { group: r.pick(groups), version: r.pick(versions), kind: r.pick(kinds) };
    }
    return 'swapKind';
  },
  numbers(review, r) {
    const numeric = slots(review).filter(([p, k]) => typeof p[k] === 'number');
    const [parent, key] = numeric.length > 0 ? r.pick(numeric) : r.pick(slots(review));
    parent[key] = r.pick([...ODD_NUMBERS, '80', '1e3', 'NaN']);
    return `numbers ${key}`;
  },
};

/** At most 16 MiB of JSON (a truncated text beyond): enough to cross any body limit without exhausting the fuzzer. */
const MAX_BODY = 16 * 1024 * 1024;
function boundedJson(value) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","pad":"${'x'.repeat(MAX_BODY)}"}`;
  }
  return Buffer.from(text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text);
}

/** JSON with one object's first key written twice (the second value wins in JSON.parse). */
function withDuplicateKey(review, r) {
  const text = JSON.stringify(review);
  const positions = [];
  for (let i = 0; i < text.length && positions.length < 500; i++)
    if (text[i] === '{' && text[i + 1] === '"') positions.push(i);
  if (positions.length === 0) return text;
  const at = r.pick(positions);
  const end = text.indexOf('"', at + 2);
  const key = text.slice(at + 1, end + 1);
  const dup = `${key}:${JSON.stringify(randomScalar(r))},`;
  return r.chance(0.5)
    ? `${text.slice(0, at + 1)}${dup}${text.slice(at + 1)}`
    : text.replace(/}$/, `,${dup.slice(0, -1)}}`);
}

/**
 * @typedef {{ index: number, label: string, body: Buffer, contentType?: string, uid?: string,
 *   raw?: { head: string, body: Buffer, halfClose?: boolean } }} FuzzCase
 */

/** Case `index` of `seed`. `seeds` are valid AdmissionReviews (not modified). */
export function fuzzCase(seed, index, seeds) {
  const r = rng((seed * 2654435761 + index * 40503) >>> 0);
  const base = structuredClone(r.pick(seeds));
  const uid = `fuzz-${seed}-${index}`;
  base.request.uid = uid;
  const roll = r.next();
  let label;
  let body;
  let contentType = 'application/json';

  if (roll < 0.72) {
    // One to three tree mutations.
    const names = Object.keys(TREE_MUTATIONS);
    const labels = [];
    for (let n = 1 + r.int(3); n > 0; n--) labels.push(TREE_MUTATIONS[r.pick(names)](base, r));
    label = labels.join(' + ');
    body = boundedJson(base);
  } else if (roll < 0.78) {
    label = 'duplicateKey';
    body = Buffer.from(withDuplicateKey(base, r));
  } else if (roll < 0.86) {
    const text = JSON.stringify(base);
    const cut = r.int(text.length);
    label = `truncated at ${cut}/${text.length}`;
    body = Buffer.from(text.slice(0, cut));
  } else if (roll < 0.9) {
    // Bytes that are not UTF-8, inside a string.
    const text = Buffer.from(JSON.stringify(base));
    const at = text.indexOf(0x22, r.int(text.length)); // a quote
    const bad = Buffer.from(r.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]));
    label = 'invalidUtf8';
    body = at < 0 ? Buffer.concat([text, bad]) : Buffer.concat([text.subarray(0, at + 1), bad, text.subarray(at + 1)]);
  } else if (roll < 0.94) {
    label = 'oddBody';
    body = Buffer.from(
      r.pick([
        '',
        ' ',
        'null',
        '[]',
        '"AdmissionReview"',
        '0',
        '{}',
        '{"request":{}}',
        'true',
        '{'.repeat(10_000),
        '\ufeff{}',
      ]),
    );
  } else if (roll < 0.97) {
    label = 'contentType';
    body = Buffer.from(JSON.stringify(base));
    contentType = r.pick([
      undefined,
      'text/plain',
      'application/json; charset=utf-16',
      'application/json-patch+json',
      'application/x-www-form-urlencoded',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=x',
    ]);
  } else {
    // Framing mistakes on the wire, sent on a raw TLS socket.
    const text = Buffer.from(JSON.stringify(base));
    const kind = r.int(4);
    const headers = ['POST /validate HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json'];
    if (kind === 0) {
      label = 'raw: body shorter than Content-Length, then half-close';
      const short = text.subarray(0, r.int(text.length));
      return {
        index,
        uid,
        label,
        body: short,
        raw: { head: [...headers, `Content-Length: ${text.length}`].join('\r\n'), body: short, halfClose: true },
      };
    }
    if (kind === 1) {
      label = 'raw: Content-Length and Transfer-Encoding both';
      return {
        index,
        uid,
        label,
        body: text,
        raw: {
          head: [...headers, `Content-Length: ${text.length}`, 'Transfer-Encoding: chunked'].join('\r\n'),
          body: text,
        },
      };
    }
    if (kind === 2) {
      label = 'raw: chunked body';
      const chunked = Buffer.concat([
        Buffer.from(`${text.length.toString(16)}\r\n`),
        text,
        Buffer.from('\r\n0\r\n\r\n'),
      ]);
      return {
        index,
        uid,
        label,
        body: chunked,
        raw: { head: [...headers, 'Transfer-Encoding: chunked'].join('\r\n'), body: chunked },
      };
    }
    label = 'raw: malformed header';
    return {
      index,
      uid,
      label,
      body: text,
      raw: { head: [...headers, `Content-Length: ${text.length}`, 'X-\u0001Bad: yes'].join('\r\n'), body: text },
    };
  }
  return { index, uid, label, body, contentType };
}
