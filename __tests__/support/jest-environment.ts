// Loaded by jest before every test file (jest.config.js `setupFiles`).
// cdktf's CLI and library call home for version checks unless told not to; tests must not touch the network.
process.env.CHECKPOINT_DISABLE ??= '1';
