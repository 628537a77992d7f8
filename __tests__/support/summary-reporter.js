/**
 * Prints one plain closing line after jest's own summary, `Tests: N passed, N failed, N skipped`, a form that CI
 * systems and scripts can read without knowing jest's output.
 * Written to stderr, where jest writes its own summary, so it stays the last line.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stderr.write(`Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
