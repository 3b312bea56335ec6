import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import {
  AuthorizationService,
  CurrentPrincipal,
  Owns,
  Permissions,
  RateLimit,
  SecurityErrorCode,
  securityException,
  type Principal,
} from 'nestjs-rampart';
import { DocumentsService, type DocumentRecord } from '../documents/documents.service';
import { UsersService } from '../users/users.service';
import { CreateDocumentInput, DocumentModel, FIRST, UserModel } from './graphql.types';

const toModel = (doc: DocumentRecord): DocumentModel => ({
  id: doc.id,
  title: doc.title,
  body: doc.body,
  ownerId: doc.ownerId,
  revision: doc.revision,
});

/**
 * Documents over GraphQL, with the same decorators as the REST controller: someone else's
 * document is `null` with a `NOT_FOUND` error (as REST answers 404). `revision` is for editors
 * and admins only through `@Roles` on the `DocumentModel` property itself.
 */
@Resolver(() => DocumentModel)
export class DocumentsResolver {
  constructor(
    private readonly documents: DocumentsService,
    private readonly users: UsersService,
    private readonly authz: AuthorizationService,
  ) {}

  @Permissions('documents:read')
  @Owns('document', { param: 'id' })
  @Query(() => DocumentModel, { nullable: true })
  document(@Args('id', { type: () => ID }) id: string): DocumentModel | null {
    // The guard checked this id; load it again (never share a loaded resource between fields).
    const doc = this.documents.findById(id);
    return doc ? toModel(doc) : null;
  }

  /** The caller's documents (all of them for admins), `first` at a time (default 20). */
  @Permissions('documents:read')
  @Query(() => [DocumentModel], { name: 'documents' })
  documentsList(
    @CurrentPrincipal() principal: Principal,
    @Args(FIRST.name, { type: FIRST.type, nullable: true }) first?: number,
  ): DocumentModel[] {
    const mine = this.documents.findAll(this.authz.ownerFilter(principal, 'document'));
    return mine.slice(0, clamp(first)).map(toModel);
  }

  @Permissions('documents:write')
  @RateLimit({ 'create-document': { limit: 30, windowSeconds: 60 } })
  @Mutation(() => DocumentModel)
  createDocument(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateDocumentInput): DocumentModel {
    const department = typeof principal.claims.department === 'string' ? principal.claims.department : 'none';
    return toModel(this.documents.create(principal.id, department, input));
  }

  @Permissions('documents:delete')
  @Owns('document', { param: 'id' })
  @Mutation(() => Boolean)
  deleteDocument(@Args('id', { type: () => ID }) id: string): boolean {
    return this.documents.remove(id);
  }

  @ResolveField('owner', () => UserModel)
  owner(@Parent() doc: DocumentModel): UserModel {
    const user = this.users.findById(doc.ownerId);
    if (!user) throw securityException(404, SecurityErrorCode.NOT_FOUND, 'Owner not found');
    return { id: user.id, username: user.username, roles: user.roles, email: `${user.username}@example.com` };
  }
}

/** `first` between 0 and 100, 20 when absent. */
export function clamp(first: number | undefined): number {
  if (first === undefined || first === null) return 20;
  if (!Number.isInteger(first) || first < 0) {
    throw securityException(400, SecurityErrorCode.BAD_REQUEST, 'first must be a non-negative integer');
  }
  return Math.min(first, 100);
}
