/** A POSIX shell word for one argument: as it is when it needs no quoting, else single-quoted. */
export function shellQuote(word: string): string {
  return word !== "" && /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
