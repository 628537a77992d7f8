/**
 * Prints one plain closing line after jest's own summary, `Tests: N passed, N failed, N skipped`, a form that CI
 * systems and scripts can read without knowing jest's output.
 * Written to stderr (where jest writes its summary) as the process exits, so it is the very last line.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
module.exports = SummaryReporter;
