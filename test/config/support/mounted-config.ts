import { mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A ConfigMap volume as the kubelet lays it out (its AtomicWriter): the data in a timestamped folder, `..data` a
 * symlink to it, and `config.yaml` a symlink through `..data`. An update writes a new folder, points a temporary
 * symlink at it and renames that over `..data` (one atomic step), then removes the old folder.
 */
export class MountedConfigMap {
  readonly dir = mkdtempSync(join(tmpdir(), 'meshguard-configmap-'));
  readonly file = join(this.dir, 'config.yaml');
  private version = 0;

  constructor(text: string) {
    const first = this.writeVersion(text);
    symlinkSync(first, join(this.dir, '..data'));
    symlinkSync(join('..data', 'config.yaml'), this.file);
  }

  private writeVersion(text: string): string {
    this.version++;
    const name = `..2026_11_22_10_00_0${this.version}.${process.pid}`;
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, 'config.yaml'), text);
    return name;
  }

  update(text: string): void {
    const old = readlinkSync(join(this.dir, '..data'));
    const next = this.writeVersion(text);
    symlinkSync(next, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    rmSync(join(this.dir, old), { recursive: true, force: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
