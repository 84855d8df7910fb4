// RSS and CPU time of a process and its children (the API's primary and its workers), read
// from /proc while a measurement runs. Linux only, as the benchmark machine is.
import fs from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the benchmark runs on

/** The process and its descendants. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const current = all[i];
    try {
      const children = fs.readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').trim();
      if (children) all.push(...children.split(/\s+/).map(Number));
    } catch {}
  }
  return all;
}

function read(pid: number): { rssMb: number; cpuMs: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** RSS of each process now, in MB. */
export function rssNow(pids: number[]): number[] {
  return pids.map(read).flatMap((usage) => (usage ? [usage.rssMb] : []));
}

/** Samples every 200 ms until stop(): peak RSS per process, CPU time spent meanwhile by all. */
export function sampleProcesses(pids: () => number[]) {
  const startCpu = new Map<number, number>();
  const lastCpu = new Map<number, number>();
  const peak = new Map<number, number>();
  const sample = () => {
    for (const pid of pids()) {
      const usage = read(pid);
      if (!usage) continue;
      if (!startCpu.has(pid)) startCpu.set(pid, usage.cpuMs);
      lastCpu.set(pid, usage.cpuMs);
      peak.set(pid, Math.max(peak.get(pid) ?? 0, usage.rssMb));
    }
  };
  sample();
  const timer = setInterval(sample, 200);
  return {
    stop() {
      sample();
      clearInterval(timer);
      let cpuMs = 0;
      for (const [pid, last] of lastCpu) cpuMs += last - (startCpu.get(pid) ?? last);
      return { peakRssMb: [...peak.values()], cpuMs };
    },
  };
}
