/**
 * Colour only on a terminal. `NO_COLOR` (any non-empty value, https://no-color.org) always turns it off;
 * `FORCE_COLOR` (anything but `0` or `false`) turns it on for a pipe, e.g. a CI log viewer that renders ANSI.
 */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true;
}
