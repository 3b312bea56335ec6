/**
 * Thrown at boot when SecurityModule's configuration is unknown, malformed or dangerous.
 * The message always says which option is wrong and how to fix it:
 * `SecurityModule: <option path> <problem>. <how to fix>.`
 *
 * @publicApi
 */
export class SecurityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }

  /** Builds the error from an option path, what is wrong with it, and how to fix it. */
  static create(path: string, problem: string, fix?: string): SecurityConfigError {
    const where = path ? `${path} ` : '';
    return new SecurityConfigError(`SecurityModule: ${where}${problem}.${fix ? ` ${fix}.` : ''}`);
  }
}
