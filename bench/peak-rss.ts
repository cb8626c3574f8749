/**
 * Preloaded into the CLI processes the bench starts (`node --import bench/peak-rss.ts`): at exit,
 * writes the process's peak resident set size as one JSON log line on stderr, so the bench reads
 * the true peak rather than sampling and missing a late spike.
 *
 * The peak is the kernel's high-water mark of this process's own memory (VmHWM in
 * /proc/self/status). Not getrusage's maxRSS: Linux carries that over from the parent across
 * fork and exec, so a child of a bench process that had itself grown to 300 MB would report at
 * least 300 MB whatever it used.
 */
import { readFileSync } from 'node:fs';

function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1] !== undefined) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS * 1024;
}

process.on('exit', () => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', message: 'bench peak rss', bytes: peakRssBytes() }) + '\n');
});

export {};
