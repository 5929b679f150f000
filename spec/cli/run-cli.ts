// Test helper (not a spec): runs the CLI in-process, as a user would from a shell, capturing stdout,
// stderr and the exit code (stderr is not a terminal, so no progress lines).
import { main, type CliIO } from '../../src/cli/main.js';

export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
