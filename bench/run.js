// Placeholder until the [scale] issue lands the benchmark suite; says so instead of pretending.
console.error('npm run bench: no benchmark scenarios exist yet (they arrive with the [scale] issue).');
process.exit(1);
