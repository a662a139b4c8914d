// The committed workflow histories, test/histories/<shape>.json: written by scripts/record-histories.ts,
// replayed by test/unit/replay.test.ts. Each is the History message in protobufjs's JSON form (toObject):
// the SDK's historyToJSON and historyFromJSON fail with the separate copies of protobufjs that npm installs
// under @temporalio/common and @temporalio/proto ("type must be a Type").
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { repoRoot } from '../../scripts/repo-root.js';

const { History } = proto.temporal.api.history.v1;
export const historiesDir = join(repoRoot, 'test/histories');

export function writeHistory(shape: string, history: proto.temporal.api.history.v1.IHistory): string {
  const file = join(historiesDir, `${shape}.json`);
  const json = History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}

/** Every committed history, named by its file's shape, in the order of their names. */
export function readHistories(): { workflowId: string; history: proto.temporal.api.history.v1.History }[] {
  return readdirSync(historiesDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: History.fromObject(JSON.parse(readFileSync(join(historiesDir, file), 'utf8'))),
    }));
}
