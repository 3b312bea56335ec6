export { SecurityValidationPipe } from './security-validation.pipe';
export { PaginationPipe, type Pagination } from './pagination.pipe';
export { PayloadLimitEdge } from './payload-limit.edge';
export { UploadValidationPipe, type UploadRules, type UploadedFileLike } from './upload-validation.pipe';
