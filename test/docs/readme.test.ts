import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { policies } from '../../policies';
import { withPolicyTable } from '../../src/docs/policy-table';

it('README.md lists every registered policy (run `npm run docs` after adding one)', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  expect(readme).toBe(withPolicyTable(readme, policies));
  for (const p of policies) expect(readme).toContain(`[\`${p.id}\`](policies/${p.id}/README.md)`);
});
