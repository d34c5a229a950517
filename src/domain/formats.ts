/** Formats of uploaded files (decided by content, not by the name). */
export type FileFormat = 'csv' | 'xlsx' | 'xls';

/** Formats of the clean and exception downloads. */
export type ExportFormat = 'xlsx' | 'csv';

/** The two result sets of a task (and of its downloads): the clean rows and the exceptions. */
export type ResultKind = 'clean' | 'exceptions';
