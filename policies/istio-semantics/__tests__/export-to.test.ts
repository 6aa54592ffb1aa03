import { validateExportTo } from '../export-to';
import { Report } from '../report';

function run(exportTo: string[], options: Parameters<typeof validateExportTo>[4] = {}): string[] {
  const report = new Report();
  validateExportTo('ns5', exportTo, 'spec.exportTo', report, options);
  return report.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('exportTo', () => {
  it.each([[[]], [['*']], [['.', 'ns1']], [['ns1', 'ns2', 'ns5']], [['.']]])('accepts %j', (exportTo) => {
    expect(run(exportTo)).toEqual([]);
  });

  it('refuses duplicates, counting . as the own namespace', () => {
    expect(run(['ns5', '.'])).toEqual(['spec.exportTo[1]: duplicate entries in exportTo: . and current namespace ns5']);
    expect(run(['.', 'ns5'])).toEqual(['spec.exportTo[1]: duplicate entries in exportTo for entry ns5']);
    expect(run(['ns1', 'ns2', 'ns1'])).toEqual(['spec.exportTo[2]: duplicate entries in exportTo for entry ns1']);
  });

  it('refuses * together with anything else', () => {
    expect(run(['*', 'ns1'])).toEqual([
      'spec.exportTo: cannot have both public (*) and non-public exportTo values for a resource',
    ]);
    expect(run(['.', '*'])).toHaveLength(1);
  });

  it('allows ~ only for ServiceEntry, and only alone', () => {
    expect(run(['~', 'ns1'])).toEqual([
      'spec.exportTo[0]: exportTo ~ (none) is not allowed for Istio configuration objects',
    ]);
    expect(run(['~'], { isServiceEntry: true })).toEqual([]);
    expect(run(['~', 'ns1'], { isServiceEntry: true })).toEqual([
      'spec.exportTo: cannot export service entry to no one (~) and someone',
    ]);
    expect(run(['~', '~', 'ns1'], { isServiceEntry: true })).toContain(
      'spec.exportTo[1]: duplicate entries in exportTo for entry ~',
    );
  });

  it('refuses names that are not DNS labels', () => {
    expect(run(['ns1_'])).toEqual([
      'spec.exportTo[0]: only .,*, or a valid DNS 1123 label is allowed as exportTo entry',
    ]);
  });

  it('keeps a DestinationRule with a workload selector in its own namespace', () => {
    const dr = { destinationRuleWithSelector: true };
    expect(run(['.'], dr)).toEqual([]);
    expect(run(['ns5'], dr)).toEqual([]);
    expect(run(['somens'], dr)).toEqual([
      'spec.exportTo: destination rule with workload selector cannot have exportTo beyond current namespace',
    ]);
    expect(run(['.', 'somens'], dr)).toEqual([
      'spec.exportTo: destination rule with workload selector cannot have multiple entries in exportTo',
    ]);
    expect(run(['*'], dr)).toHaveLength(1);
  });
});
