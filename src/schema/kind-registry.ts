import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root';
import type { StructuralSchema } from './json-schema';

/** One Istio CRD as meshguard serves it: every served version shares one schema (checked at generation). */
export interface IstioKind {
  group: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  versions: string[];
  storageVersion: string;
  schema: StructuralSchema;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export type KindLookup = { ok: true; kind: IstioKind } | { ok: false; reason: string };

export class KindRegistry {
  /**
   * Group, then kind: every review is looked up (twice), and a `${group}/${kind}` key would be a new string to
   * flatten and hash each time, where the group and kind strings of a review hash once.
   */
  private readonly byGroupKind = new Map<string, Map<string, IstioKind>>();
  private readonly byGroupResource = new Map<string, IstioKind>();

  constructor(readonly kinds: readonly IstioKind[]) {
    for (const k of kinds) {
      let byKind = this.byGroupKind.get(k.group);
      if (byKind === undefined) {
        byKind = new Map();
        this.byGroupKind.set(k.group, byKind);
      }
      byKind.set(k.kind, k);
      this.byGroupResource.set(`${k.group}/${k.plural}`, k);
    }
  }

  static load(file = join(packageRoot(), 'schemas/generated/crds.json')): KindRegistry {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`meshguard: ${file} is missing; run \`npm run build\` (it generates the Istio schemas)`);
    }
    return new KindRegistry((JSON.parse(text) as { kinds: IstioKind[] }).kinds);
  }

  /** Looks a kind up and explains, in words a user can act on, why it is not served. */
  lookup(gvk: GroupVersionKind): KindLookup {
    const found = this.byGroupKind.get(gvk.group)?.get(gvk.kind);
    if (found === undefined) {
      const groupKinds = this.kinds.filter((k) => k.group === gvk.group).map((k) => k.kind);
      if (groupKinds.length === 0) {
        const groups = [...new Set(this.kinds.map((k) => k.group))].sort().join(', ');
        return {
          ok: false,
          reason: `group "${gvk.group}" is not an Istio API group meshguard serves (served: ${groups})`,
        };
      }
      return {
        ok: false,
        reason: `kind "${gvk.kind}" is not served in group ${gvk.group} (served: ${groupKinds.sort().join(', ')})`,
      };
    }
    if (!found.versions.includes(gvk.version)) {
      return {
        ok: false,
        reason: `${found.kind}.${found.group} has no version "${gvk.version}" (served: ${found.versions.join(', ')})`,
      };
    }
    return { ok: true, kind: found };
  }

  byResource(group: string, resource: string): IstioKind | undefined {
    return this.byGroupResource.get(`${group}/${resource}`);
  }

  isIstioGroup(group: string): boolean {
    return this.kinds.some((k) => k.group === group);
  }
}

/** Splits `networking.istio.io/v1` into group and version; core-group `v1` has an empty group. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
