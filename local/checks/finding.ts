/** One problem a template check found: which check, where (a path into the document) and what to do. */
export interface Finding {
  check: 'schema' | 'references' | 'handlers' | 'least-privilege' | 'parity';
  where: string;
  message: string;
}

export const formatFinding = (f: Finding): string => `[${f.check}] ${f.where}: ${f.message}`;
