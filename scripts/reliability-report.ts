// Turns the reliability suite's own records (test-results/reliability.jsonl, one line per scenario) into
// docs/RELIABILITY.md: scenario → what was done → result → what was measured.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface ReliabilityRecord {
  group: string;
  scenario: string;
  action: string;
  result: string;
  measured: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));
export const recordsPath = `${root}test-results/reliability.jsonl`;

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function renderReport(records: ReliabilityRecord[], when: Date): string {
  const groups = [...new Set(records.map((record) => record.group))];
  const sections = groups.map((group) => {
    const rows = records
      .filter((record) => record.group === group)
      .map((r) => `| ${cell(r.scenario)} | ${cell(r.action)} | ${cell(r.result)} | ${cell(r.measured)} |`);
    return [
      `## ${group}`,
      '',
      '| scenario | what was done | result | measured |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
  });
  return `# Reliability

Produced by \`npm run reliability\` from the output of the reliability suite (\`test/reliability/\`) and of the
end-to-end tests with CAPI and clusterctl (\`test/e2e/provider.test.ts\`, \`test/e2e/move.test.ts\`,
\`test/e2e/load-balancer-backends.test.ts\`, \`test/e2e/clusterclass.test.ts\`), all also run by
\`npm test\`, on the real local stack: a CAPI management cluster (etcd, kube-apiserver, kube-controller-manager,
CAPI's core manager), the Docker engine, the Temporal dev server and the HAProxy image. Clusters are linked to
their DockerClusters by CAPI's own controllers. The provider runs under the least-privilege ClusterRole of
\`config/rbac/role.yaml\` (separate worker and watcher processes in the reliability suite). Every scenario ends with the invariant checks: each live
DockerCluster has exactly one running load-balancer container of ours and a ready status with the container's
IP as endpoint; each deleted one has no container, no object (so no finalizer) and a completed workflow; a
foreign container that carries the load-balancer labels but not our ownership label is never touched.

Last run: ${when.toISOString()}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB.

${sections.join('\n\n')}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const records = readFileSync(recordsPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ReliabilityRecord);
  writeFileSync(`${root}docs/RELIABILITY.md`, renderReport(records, new Date()));
  console.log(`wrote docs/RELIABILITY.md from ${records.length} records`);
}
