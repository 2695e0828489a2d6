import type { Command } from 'commander';
import type { CredentialService } from '../domain/credentials.js';
import { printResult } from './output.js';

/** What the credential revocation commands need from the CLI's entry point (src/cli/main.ts). */
export interface CredentialCommandDeps {
  withCredentials<T>(fn: (creds: CredentialService) => Promise<T>): Promise<T>;
  json(): boolean | undefined;
}

/**
 * `tongdai app revoke <app_id>` and `tongdai token revoke <token>`, beside the `create` commands main.ts
 * declares. Revocation takes effect on the next request (every check reads the store).
 */
export function registerCredentialCommands(program: Command, deps: CredentialCommandDeps): void {
  const group = (name: string) => {
    const found = program.commands.find((c) => c.name() === name);
    if (!found) throw new Error(`the "${name}" command must be declared before its revoke subcommand`);
    return found;
  };
  group('app')
    .command('revoke')
    .description('revoke an app credential: its signatures and the websocket tokens it issued stop working')
    .argument('<app_id>', 'the app id')
    .action(async (appId: string) => {
      await deps.withCredentials((creds) => creds.revokeApp(appId));
      printResult(deps.json(), { revoked: appId }, `revoked app ${appId}`);
    });
  group('token')
    .command('revoke')
    .description('revoke a bearer (or websocket) access token')
    .argument('<token>', 'the full token')
    .action(async (token: string) => {
      await deps.withCredentials((creds) => creds.revokeToken(token));
      printResult(deps.json(), { revoked: true }, 'revoked token');
    });
}
