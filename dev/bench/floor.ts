// `npm run -s bench:floor`: the RSS floor table alone (BENCHMARKS.md, "RSS floor"): fresh Node
// processes with the Dockerfile's node flags requiring the bundle, then each provider SDK by the
// path src/ requires it, medians over --runs (default 5). No testbed needed.
import { moduleFloor } from './controller';
import { floorTable } from './report';

const i = process.argv.indexOf('--runs');
const runs = i > 0 ? Number(process.argv[i + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
console.log(`Node ${process.version}, ${runs} runs per figure (median)\n`);
console.log(floorTable(moduleFloor(runs)));
