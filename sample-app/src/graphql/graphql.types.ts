import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** A user as the GraphQL API shows it. `email` and `documents` are resolved (and guarded) fields. */
@ObjectType('User')
export class UserModel {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;

  @Field(() => [String])
  roles!: string[];
}

/** A document as the GraphQL API shows it. `revision` and `owner` are resolved (and guarded) fields. */
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

  /** Kept for the `revision` field resolver (editors and admins only). */
  revisionValue?: number;
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
