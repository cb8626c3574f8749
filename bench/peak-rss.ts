/**
 * Preloaded into the CLI processes the bench starts (`node --import bench/peak-rss.ts`): at exit,
 * writes the process's peak resident set size (getrusage maxrss) as one JSON log line on stderr,
 * so the bench reads the true peak rather than sampling /proc and missing a late spike.
 */
process.on('exit', () => {
  const bytes = process.resourceUsage().maxRSS * 1024;
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', message: 'bench peak rss', bytes }) + '\n');
});

export {};
