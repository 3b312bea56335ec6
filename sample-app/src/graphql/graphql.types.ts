import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { Roles } from 'nestjs-rampart';

/** A user as the GraphQL API shows it. `documents` is a resolved (and guarded) field. */
@ObjectType('User')
export class UserModel {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;

  @Field(() => [String])
  roles!: string[];

  /** Admins only: others read `null` and a `PERMISSION_DENIED` error (field-level `@Roles`). */
  @Roles('admin')
  @Field(() => String, { nullable: true })
  email?: string;
}

/** A document as the GraphQL API shows it. `owner` is a resolved field. */
@ObjectType('Document')
export class DocumentModel {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field()
  body!: string;

  @Field(() => ID)
  ownerId!: string;

  /** Editors and admins only: others read `null` and a `PERMISSION_DENIED` error (field-level `@Roles`). */
  @Roles('editor', 'admin')
  @Field(() => Int, { nullable: true })
  revision?: number;
}

@InputType()
export class CreateDocumentInput {
  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title!: string;

  @Field()
  @IsString()
  @MaxLength(10_000)
  body!: string;
}

/** The list size argument of the sample's list fields (each costs `first` times its selection). */
export const FIRST = { name: 'first', type: () => Int, nullable: true } as const;
