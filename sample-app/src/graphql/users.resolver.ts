import { Args, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import {
  AuthorizationService,
  CurrentPrincipal,
  Roles,
  SecurityErrorCode,
  securityException,
  type Principal,
} from 'nestjs-rampart';
import { DocumentsService } from '../documents/documents.service';
import { UsersService, type User } from '../users/users.service';
import { clamp } from './documents.resolver';
import { DocumentModel, FIRST, UserModel } from './graphql.types';

const toModel = (user: User): UserModel => ({
  id: user.id,
  username: user.username,
  roles: user.roles,
  email: `${user.username}@example.com`,
});

/** Users over GraphQL: `me` for anyone signed in, `users` (and `User.email`, on the model) for admins only. */
@Resolver(() => UserModel)
export class UsersResolver {
  constructor(
    private readonly users: UsersService,
    private readonly documents: DocumentsService,
    private readonly authz: AuthorizationService,
  ) {}

  @Query(() => UserModel)
  me(@CurrentPrincipal() principal: Principal): UserModel {
    const user = this.users.findById(principal.id);
    if (!user) throw securityException(404, SecurityErrorCode.NOT_FOUND, 'User not found');
    return toModel(user);
  }

  @Roles('admin')
  @Query(() => [UserModel], { name: 'users' })
  allUsers(): UserModel[] {
    return this.users.findAll().map(toModel);
  }

  /** A user's own documents; someone else's only for admins. Costs `first` (default 20) times its selection. */
  @ResolveField('documents', () => [DocumentModel])
  userDocuments(
    @Parent() user: UserModel,
    @CurrentPrincipal() principal: Principal,
    @Args(FIRST.name, { type: FIRST.type, nullable: true }) first?: number,
  ): DocumentModel[] {
    const filter = this.authz.ownerFilter(principal, 'document');
    if (filter.ownerId !== undefined && user.id !== principal.id) {
      throw securityException(403, SecurityErrorCode.FORBIDDEN, 'Only your own documents');
    }
    return this.documents
      .findAll({ ownerId: user.id })
      .slice(0, clamp(first))
      .map((doc) => ({
        id: doc.id,
        title: doc.title,
        body: doc.body,
        ownerId: doc.ownerId,
        revision: doc.revision,
      }));
  }
}
