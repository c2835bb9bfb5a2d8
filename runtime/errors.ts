/**
 * A mistake the user can fix (bad file, bad flag value, wrong shape, corrupt checkpoint). The CLI
 * prints its message on one line and exits with `exitCode`; it never shows a stack trace for these.
 * It lives in the runtime because the runtime raises most of them and browsers import it too.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
