import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

/** Where documents come from: a file (named as the user would recognise it) or standard input. */
export type InputSource = { kind: 'file'; path: string } | { kind: 'stdin'; path: '<stdin>' };

export const STDIN_NAME = '<stdin>';

/** Extensions picked up when searching a folder; a file named explicitly is read whatever its name. */
const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;

export interface DiscoveryProblem {
  path: string;
  message: string;
}

export interface Discovery {
  sources: InputSource[];
  /** Paths that do not exist or cannot be listed. */
  problems: DiscoveryProblem[];
  /** Folders holding no manifest at all: most likely a mistyped path in a pipeline. */
  emptyFolders: string[];
}

/** `ENOENT: no such file or directory, stat 'x'` → `no such file or directory`. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return e.message;
  }
}

/** Forward slashes on every platform, so output and SARIF URIs look the same everywhere. */
const display = (p: string) => p.split('\\').join('/');

/**
 * Expands the command line's paths into the inputs to read, in a stable order: each argument in turn; inside a
 * folder, entries sorted by name, searched recursively for `.yaml`, `.yml` and `.json`. A file reached twice is
 * read once; symbolic links are followed, without looping. Only lists: nothing is read here.
 */
export function discoverInputs(paths: readonly string[]): Discovery {
  const out: Discovery = { sources: [], problems: [], emptyFolders: [] };
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  let stdin = false;

  /** `canonical`: the file's real path when the caller knows it (a plain entry of a resolved folder). */
  const addFile = (path: string, canonical?: string) => {
    let real = canonical;
    if (real === undefined) {
      try {
        real = realpathSync(path);
      } catch {
        real = path;
      }
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    out.sources.push({ kind: 'file', path: display(path) });
  };

  /** Returns how many files were found below `dir`. */
  const walk = (dir: string): number => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch (err) {
      out.problems.push({ path: display(dir), message: describeFsError(err) });
      return 0;
    }
    if (seenDirs.has(real)) return 0;
    seenDirs.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      out.problems.push({ path: display(dir), message: `cannot list the folder: ${describeFsError(err)}` });
      return 0;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let found = 0;
    for (const entry of entries) {
      const path = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = statSync(path);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // a dangling link in a folder is not a manifest
        }
      }
      if (isDir) found += walk(path);
      else if (isFile && MANIFEST_EXTENSION.test(entry.name)) {
        addFile(path, entry.isSymbolicLink() ? undefined : join(real, entry.name));
        found++;
      }
    }
    return found;
  };

  for (const arg of paths) {
    if (arg === '-') {
      if (!stdin) out.sources.push({ kind: 'stdin', path: STDIN_NAME });
      stdin = true;
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(arg).isDirectory();
    } catch (err) {
      out.problems.push({ path: display(arg), message: describeFsError(err) });
      continue;
    }
    if (isDir) {
      if (walk(arg) === 0) out.emptyFolders.push(display(arg));
    } else addFile(normalize(arg));
  }
  return out;
}
