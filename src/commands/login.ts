import * as Args from "@oclif/core/args";
import pc from "picocolors";
import { CredentialCommand } from "../cli/credential-command.js";
import { readSecret } from "../cli/input.js";
import { redactor } from "../credentials/redact.js";
import { ExitCode, PlatformHttpError, PlatformUnreachable, UserError } from "../errors.js";
import { HttpPlatformClient } from "../platform/client.js";
import { decodeToken, TokenFormatError } from "../platform/token.js";

export interface LoginResult {
  target: string;
  host: string;
  serviceId: string;
  status: string;
  storedIn: "keychain" | "file";
}

export default class Login extends CredentialCommand {
  static override summary =
    "Store a target's API token in the OS keychain, after checking it with the platform.";
  static override description =
    "The token (as the platform shows it) is read from standard input or a hidden prompt, never from an argument. CI and headless machines set SVC_TOKEN_<TARGET> instead; the environment wins over the keychain.";
  static override examples = [
    "<%= config.bin %> login shop-prod",
    'printf %s "$TOKEN" | <%= config.bin %> login shop-prod',
  ];
  static override args = {
    target: Args.string({ description: "Target name (used as spec.target).", required: true }),
  };

  async run(): Promise<LoginResult> {
    const { args } = await this.parse(Login);
    this.checkName("target", args.target);
    const raw = (await readSecret(`API token for ${args.target}:`, "token")).trim();
    redactor.add(raw);
    let token: ReturnType<typeof decodeToken>;
    try {
      token = decodeToken(raw);
    } catch (error) {
      if (!(error instanceof TokenFormatError)) throw error;
      throw new UserError(`that token is malformed: ${error.message}`, {
        hint: "copy the token again exactly as the platform shows it (base58 text)",
        exitCode: ExitCode.invalidInput,
      });
    }
    redactor.add(token.secret);

    let service: Awaited<ReturnType<HttpPlatformClient["userService"]>>;
    try {
      service = await new HttpPlatformClient(token, { timeoutMs: 10_000 }).userService();
    } catch (error) {
      if (error instanceof PlatformUnreachable) {
        throw new UserError(`not saved: ${error.message}`, {
          hint: "check the platform is up and the token is current",
        });
      }
      if (error instanceof PlatformHttpError) {
        throw new UserError(`not saved: ${token.host} refused the token (${error.code}: ${error.detail})`, {
          hint: "copy a current token from the platform",
        });
      }
      throw error;
    }
    const credentials = this.credentials();
    await credentials.save("target", args.target, raw);
    if (!this.jsonEnabled()) {
      this.log(
        `${pc.green("✔")} logged in to ${pc.bold(args.target)}: service ${service.id} (${service.status}) at ${token.host}`,
      );
    }
    return {
      target: args.target,
      host: token.host,
      serviceId: service.id,
      status: service.status,
      storedIn: credentials.keychain.source ?? "keychain",
    };
  }
}
