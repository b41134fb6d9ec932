/**
 * Executable entry of the `rtms-client` command.
 */
import { main } from './main.js';

void main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
