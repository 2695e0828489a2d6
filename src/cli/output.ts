/** With --json: exactly one JSON object on stdout. Without: a human line. */
export function printResult(json: boolean | undefined, obj: object, human: string): void {
  process.stdout.write(json ? JSON.stringify(obj) + '\n' : human + '\n');
}

/** One line saying what is wrong, no stack trace, non-zero exit. */
export function fail(json: boolean | undefined, message: string): never {
  if (json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
  else process.stderr.write(`tongdai: ${message}\n`);
  process.exit(1);
}
