/** Go fmt verbs that istiod's messages use, so the texts read as istiod's do. */

/** `%v` of a float64: shortest representation, exponent form outside [1e-4, 1e21) with a two-digit exponent. */
export function goFloat(v: number): string {
  const abs = Math.abs(v);
  if (v !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [mantissa, exp = '0'] = v.toExponential().split('e');
    const n = Number(exp);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(v);
}

/** `%f`: six decimals. */
export const goFixed = (v: number): string => v.toFixed(6);

/** `%v` of a []string: `[a b c]`. */
export const goList = (items: readonly string[]): string => `[${items.join(' ')}]`;
