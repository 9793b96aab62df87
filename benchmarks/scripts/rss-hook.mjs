// Preloaded into a process under measurement (`node --import rss-hook.mjs ...`): at exit, writes the process's
// resident-set high-water mark (bytes) and its CPU times to $LIBVQ_RSS_OUT, so a benchmark can measure the
// built `libvq` binary exactly as users run it, without changing it.
import { writeFileSync } from 'node:fs';

const out = process.env.LIBVQ_RSS_OUT;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ maxRssBytes: u.maxRSS * 1024, userS: u.userCPUTime / 1e6, systemS: u.systemCPUTime / 1e6 }));
  });
}
