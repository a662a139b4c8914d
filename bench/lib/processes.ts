// What processes cost, from /proc (Linux): CPU time (user + system) and peak resident memory.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time used so far by these processes, in ms. */
export function cpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    // The command name (field 2) is in parentheses and may hold spaces: the fields after it are counted from ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime] = [Number(fields[11]), Number(fields[12])];
    return sum + ((utime + stime) * 1000) / clockTicksPerSecond;
  }, 0);
}

/** The peak resident memory of these processes together (each one's high-water mark), in MiB. */
export function peakRssMiB(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return sum + Number(kib ?? 0) / 1024;
  }, 0);
}

/** CPU ms of each group of processes between now and the returned function's call. */
export function cpuMeter(groups: Record<string, number[]>): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, cpuMs(pids)]));
  return () =>
    Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => [name, cpuMs(pids) - (before[name] as number)]),
    );
}
