import { libraryConfig } from '../../tsup.library.js';

// jobs and testing are the subpath exports @libvq/cluster/jobs (the jobs without a queue) and /testing (a throwaway redis-server).
const entries = { index: 'src/index.ts', jobs: 'src/jobs-entry.ts', testing: 'src/testing.ts' };
export default libraryConfig({ entry: entries, dts: { entry: entries }, splitting: true });
