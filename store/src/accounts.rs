//! Accounts and tenants: users, memberships, tokens, verifications, invitations.
//!
//! Users are global (one email, one password, many tenants); everything else here belongs to
//! a tenant. Operations that touch several trees run as one sled transaction, so a crash
//! never leaves a user without its index or a membership without its reverse entry.

use certwatch_domain::accounts::{
    Invitation, InvitationStatus, Membership, RegistrationClaim, Role, Tenant, Token, User,
    VERIFICATION_TTL_HOURS, Verification,
};
use certwatch_domain::registry::default_types;
use chrono::{DateTime, Duration, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree, abort};
use uuid::Uuid;

use crate::registry::text_key;
use crate::secrets::KeyHash;
use crate::{Store, StoreError, decode, encode, finish, get, keys, scan};

/// Who accepts an invitation: a new account, a user who already has one, or the owner of
/// a mailbox whose account was registered but never verified (by them or by somebody
/// else): the invitation proves the mailbox, so its password replaces the unproven one.
pub enum Acceptor {
    New {
        user_id: Uuid,
        password_hash: String,
    },
    Existing(Uuid),
    Claim {
        user_id: Uuid,
        password_hash: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("the token is invalid or expired")]
    InvalidToken,
    #[error("the user is already a member of this tenant")]
    AlreadyMember,
    #[error("the last admin of a tenant cannot be removed or demoted")]
    LastAdmin,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An entry of `tokens_by_owner`: (its key, the token's key hash).
type OwnedTokenKey = (Vec<u8>, Vec<u8>);

type TxResult<T> = Result<T, ConflictableTransactionError<AccountError>>;

fn tx_get<T: serde::de::DeserializeOwned>(
    t: &TransactionalTree,
    key: &[u8],
) -> TxResult<Option<T>> {
    match t.get(key)? {
        Some(v) => decode(&v)
            .map(Some)
            .map_err(|e| ConflictableTransactionError::Abort(AccountError::Store(e))),
        None => Ok(None),
    }
}

/// What registration writes, besides the ids it makes up.
pub struct Registration {
    pub email: String,
    pub password_hash: String,
    pub organization_name: String,
    pub verification: KeyHash,
}

impl Store {
    /// Creates a tenant, its first (inactive) user as admin, and a verification token. An
    /// address whose account exists but was never verified registers again: the new tenant
    /// and a claim wait for the mailbox to be proven (see [`RegistrationClaim`]).
    pub fn register(
        &self,
        reg: Registration,
        now: DateTime<Utc>,
    ) -> Result<(Tenant, User), AccountError> {
        let tenant = Tenant {
            id: Uuid::new_v4(),
            name: reg.organization_name,
            created_at: now,
            public_listing: false,
        };
        let unverified = match self.user_by_email(&reg.email)? {
            Some(u) if u.is_active => return Err(AccountError::EmailTaken),
            other => other,
        };
        let claim = unverified.as_ref().map(|_| RegistrationClaim {
            tenant_id: tenant.id,
            password_hash: reg.password_hash.clone(),
        });
        let user = unverified.unwrap_or_else(|| User {
            id: Uuid::new_v4(),
            email: reg.email,
            password_hash: reg.password_hash,
            is_active: false,
            created_at: now,
        });
        let membership = Membership {
            tenant_id: tenant.id,
            user_id: user.id,
            role: Role::Admin,
            created_at: now,
        };
        let verification = Verification {
            user_id: user.id,
            expires_at: now + Duration::hours(VERIFICATION_TTL_HOURS),
        };
        let types = default_types(tenant.id, now);
        let t = self.trees();
        finish::<_, AccountError>(
            (
                &t.tenants,
                &t.users,
                &t.users_by_email,
                &t.memberships,
                &t.memberships_by_user,
                &t.verifications,
                &t.cert_types,
                &t.cert_type_by_code,
                &t.registration_claims,
            )
                .transaction(
                    |(
                        tenants,
                        users,
                        by_email,
                        members,
                        members_by_user,
                        verifs,
                        types_t,
                        by_code,
                        claims,
                    )| {
                        match (by_email.get(user.email.as_bytes())?, &claim) {
                            (None, None) => {
                                users.insert(&keys::id(user.id), encode(&user))?;
                                by_email.insert(user.email.as_bytes(), &keys::id(user.id))?;
                            }
                            (Some(id), Some(claim)) if *id == keys::id(user.id)[..] => {
                                // Still unverified (a verification in between would have
                                // made this registration wrong): the claim waits for proof.
                                match tx_get::<User>(users, &id)? {
                                    Some(u) if !u.is_active => {}
                                    _ => return abort(AccountError::EmailTaken),
                                }
                                claims.insert(&reg.verification, encode(claim))?;
                            }
                            _ => return abort(AccountError::EmailTaken),
                        }
                        tenants.insert(&keys::id(tenant.id), encode(&tenant))?;
                        members.insert(&keys::pair(tenant.id, user.id), encode(&membership))?;
                        members_by_user.insert(&keys::pair(user.id, tenant.id), &[])?;
                        verifs.insert(&reg.verification, encode(&verification))?;
                        // A new tenant starts with the common certificate types.
                        for ty in &types {
                            types_t.insert(&keys::pair(tenant.id, ty.id), encode(ty))?;
                            by_code.insert(text_key(tenant.id, &ty.code), &keys::id(ty.id))?;
                        }
                        Ok(())
                    },
                ),
        )?;
        Ok((tenant, user))
    }

    /// The tenants of an unverified user other than `keep`: what unproven registrations of
    /// the address made, dropped when the mailbox is proven.
    fn unproven_memberships(
        &self,
        user: Uuid,
        keep: Option<Uuid>,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(self
            .memberships_of_user(user)?
            .into_iter()
            .map(|m| m.tenant_id)
            .filter(|t| Some(*t) != keep)
            .collect())
    }

    /// Consumes a verification token and activates its user. A token of a registration
    /// claim also sets that registration's password and drops the memberships the other,
    /// unproven registrations of the address made.
    pub fn verify_email(&self, token: &KeyHash, now: DateTime<Utc>) -> Result<User, AccountError> {
        let claim: Option<RegistrationClaim> = get(&self.trees().registration_claims, token)?;
        let dropped = match (
            &claim,
            get::<Verification>(&self.trees().verifications, token)?,
        ) {
            (Some(c), Some(v)) => self.unproven_memberships(v.user_id, Some(c.tenant_id))?,
            _ => Vec::new(),
        };
        let t = self.trees();
        finish::<_, AccountError>(
            (
                &t.verifications,
                &t.users,
                &t.registration_claims,
                &t.memberships,
                &t.memberships_by_user,
            )
                .transaction(|(verifs, users, claims, members, members_by_user)| {
                    let Some(v) = tx_get::<Verification>(verifs, token)? else {
                        return abort(AccountError::InvalidToken);
                    };
                    if v.expires_at <= now {
                        return abort(AccountError::InvalidToken);
                    }
                    let Some(mut user) = tx_get::<User>(users, &keys::id(v.user_id))? else {
                        return abort(AccountError::InvalidToken);
                    };
                    verifs.remove(token)?;
                    if let Some(claim) = &claim
                        && !user.is_active
                    {
                        claims.remove(token)?;
                        user.password_hash = claim.password_hash.clone();
                        drop_memberships_tx(members, members_by_user, user.id, &dropped)?;
                    }
                    user.is_active = true;
                    users.insert(&keys::id(user.id), encode(&user))?;
                    Ok(user)
                }),
        )
    }

    pub fn add_verification(
        &self,
        user_id: Uuid,
        token: &KeyHash,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let v = Verification {
            user_id,
            expires_at: now + Duration::hours(VERIFICATION_TTL_HOURS),
        };
        self.trees().verifications.insert(token, encode(&v))?;
        Ok(())
    }

    pub fn tenant(&self, id: Uuid) -> Result<Option<Tenant>, StoreError> {
        get(&self.trees().tenants, &keys::id(id))
    }

    pub fn tenant_ids(&self) -> Result<Vec<Uuid>, StoreError> {
        self.trees()
            .tenants
            .iter()
            .keys()
            .map(|k| {
                let k = k?;
                keys::uuid_at(&k, 0).ok_or_else(|| StoreError::Corrupt("tenant key".into()))
            })
            .collect()
    }

    pub fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        get(&self.trees().users, &keys::id(id))
    }

    pub fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        match self.trees().users_by_email.get(email.as_bytes())? {
            Some(id) => match keys::uuid_at(&id, 0) {
                Some(id) => self.user(id),
                None => Err(StoreError::Corrupt("email index".into())),
            },
            None => Ok(None),
        }
    }

    pub fn membership(&self, tenant: Uuid, user: Uuid) -> Result<Option<Membership>, StoreError> {
        get(&self.trees().memberships, &keys::pair(tenant, user))
    }

    /// The members of a tenant, in user-id order.
    pub fn members(&self, tenant: Uuid) -> Result<Vec<Membership>, StoreError> {
        scan(&self.trees().memberships, &keys::id(tenant))
    }

    /// Every tenant `user` belongs to.
    pub fn memberships_of_user(&self, user: Uuid) -> Result<Vec<Membership>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .trees()
            .memberships_by_user
            .scan_prefix(keys::id(user))
            .keys()
        {
            let key = key?;
            let tenant = keys::uuid_at(&key, 16)
                .ok_or_else(|| StoreError::Corrupt("membership index".into()))?;
            if let Some(m) = self.membership(tenant, user)? {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Changes a member's role; refuses to demote the tenant's last admin.
    pub fn set_role(
        &self,
        tenant: Uuid,
        user: Uuid,
        role: Role,
    ) -> Result<Membership, AccountError> {
        let mut m = self
            .membership(tenant, user)?
            .ok_or(AccountError::NotFound)?;
        if m.role == Role::Admin && role != Role::Admin && self.admin_count(tenant)? <= 1 {
            return Err(AccountError::LastAdmin);
        }
        m.role = role;
        self.trees()
            .memberships
            .insert(keys::pair(tenant, user), encode(&m))
            .map_err(StoreError::from)?;
        Ok(m)
    }

    /// Removes a member and every token they hold in the tenant; never the last admin.
    pub fn remove_member(&self, tenant: Uuid, user: Uuid) -> Result<(), AccountError> {
        let m = self
            .membership(tenant, user)?
            .ok_or(AccountError::NotFound)?;
        if m.role == Role::Admin && self.admin_count(tenant)? <= 1 {
            return Err(AccountError::LastAdmin);
        }
        let owned = self.owned_token_keys(tenant, user)?;
        let t = self.trees();
        finish::<_, AccountError>(
            (
                &t.memberships,
                &t.memberships_by_user,
                &t.tokens,
                &t.tokens_by_owner,
            )
                .transaction(|(members, members_by_user, tokens, by_owner)| {
                    members.remove(&keys::pair(tenant, user))?;
                    members_by_user.remove(&keys::pair(user, tenant))?;
                    for (owner_key, hash) in &owned {
                        by_owner.remove(owner_key.as_slice())?;
                        tokens.remove(hash.as_slice())?;
                    }
                    Ok(())
                }),
        )
    }

    fn admin_count(&self, tenant: Uuid) -> Result<usize, StoreError> {
        Ok(self
            .members(tenant)?
            .iter()
            .filter(|m| m.role == Role::Admin)
            .count())
    }

    /// (owner-index key, token hash) of every token `user` holds in `tenant`.
    fn owned_token_keys(&self, tenant: Uuid, user: Uuid) -> Result<Vec<OwnedTokenKey>, StoreError> {
        self.trees()
            .tokens_by_owner
            .scan_prefix(keys::pair(tenant, user))
            .map(|e| {
                let (k, v) = e?;
                Ok((k.to_vec(), v.to_vec()))
            })
            .collect()
    }

    pub fn token(&self, hash: &KeyHash) -> Result<Option<Token>, StoreError> {
        get(&self.trees().tokens, hash)
    }

    /// Tokens `user` holds in `tenant`, oldest first.
    pub fn tokens_of(&self, tenant: Uuid, user: Uuid) -> Result<Vec<Token>, StoreError> {
        let mut out = Vec::new();
        for (_, hash) in self.owned_token_keys(tenant, user)? {
            if let Some(t) = get::<Token>(&self.trees().tokens, &hash)? {
                out.push(t);
            }
        }
        out.sort_by_key(|t| t.created_at);
        Ok(out)
    }

    /// The key hash of token `id` held by `user` in `tenant`.
    pub fn owned_token_hash(
        &self,
        tenant: Uuid,
        user: Uuid,
        id: Uuid,
    ) -> Result<Option<KeyHash>, StoreError> {
        match self
            .trees()
            .tokens_by_owner
            .get(keys::triple(tenant, user, id))?
        {
            Some(hash) => hash
                .as_ref()
                .try_into()
                .map(Some)
                .map_err(|_| StoreError::Corrupt("token owner index".into())),
            None => Ok(None),
        }
    }

    pub fn insert_token(&self, hash: &KeyHash, token: &Token) -> Result<(), AccountError> {
        self.replace_token(None, hash, token)
    }

    /// Stores `token` under `hash` and, in the same transaction, deletes `old` if given.
    pub fn replace_token(
        &self,
        old: Option<&KeyHash>,
        hash: &KeyHash,
        token: &Token,
    ) -> Result<(), AccountError> {
        let t = self.trees();
        finish::<_, AccountError>((&t.tokens, &t.tokens_by_owner).transaction(
            |(tokens, by_owner)| {
                if let Some(old) = old {
                    remove_token_tx(tokens, by_owner, old)?;
                }
                tokens.insert(hash.as_slice(), encode(token))?;
                by_owner.insert(
                    keys::triple(token.tenant_id, token.user_id, token.id),
                    hash.as_slice(),
                )?;
                Ok(())
            },
        ))
    }

    /// Deletes a token; `NotFound` when there is none under `hash`.
    pub fn remove_token(&self, hash: &KeyHash) -> Result<Token, AccountError> {
        let t = self.trees();
        finish::<_, AccountError>((&t.tokens, &t.tokens_by_owner).transaction(
            |(tokens, by_owner)| match remove_token_tx(tokens, by_owner, hash)? {
                Some(token) => Ok(token),
                None => abort(AccountError::NotFound),
            },
        ))
    }

    /// Stores an invitation; refuses an email that is already a member of the tenant.
    pub fn create_invitation(&self, inv: &Invitation, token: &KeyHash) -> Result<(), AccountError> {
        if let Some(user) = self.user_by_email(&inv.email)?
            && self.membership(inv.tenant_id, user.id)?.is_some()
        {
            return Err(AccountError::AlreadyMember);
        }
        let t = self.trees();
        finish::<_, AccountError>((&t.invitations, &t.invitations_by_token).transaction(
            |(invs, by_token)| {
                let key = keys::pair(inv.tenant_id, inv.id);
                invs.insert(&key, encode(inv))?;
                by_token.insert(token.as_slice(), &key)?;
                Ok(())
            },
        ))
    }

    /// The pending, unexpired invitation for `token`, if any.
    pub fn pending_invitation(
        &self,
        token: &KeyHash,
        now: DateTime<Utc>,
    ) -> Result<Option<Invitation>, StoreError> {
        let Some(key) = self.trees().invitations_by_token.get(token)? else {
            return Ok(None);
        };
        let inv: Option<Invitation> = get(&self.trees().invitations, &key)?;
        match inv {
            Some(i) if self.invitation_is_live(&i, now)? => Ok(Some(i)),
            _ => Ok(None),
        }
    }

    /// Whether an invitation can still be accepted: pending, unexpired, and its inviter
    /// still an admin of the tenant (an invitation dies with its inviter's admin rights).
    fn invitation_is_live(&self, inv: &Invitation, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(inv.status == InvitationStatus::Pending
            && inv.expires_at > now
            && self
                .membership(inv.tenant_id, inv.invited_by)?
                .is_some_and(|m| m.role == Role::Admin))
    }

    /// The tenant's invitations that can still be accepted, newest first.
    pub fn live_invitations(
        &self,
        tenant: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>, StoreError> {
        let mut out = Vec::new();
        for inv in scan::<Invitation>(&self.trees().invitations, &keys::id(tenant))? {
            if self.invitation_is_live(&inv, now)? {
                out.push(inv);
            }
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Takes back a pending invitation of the tenant; its link stops working at once.
    pub fn revoke_invitation(&self, tenant: Uuid, id: Uuid) -> Result<Invitation, AccountError> {
        let key = keys::pair(tenant, id);
        finish::<_, AccountError>(self.trees().invitations.transaction(|invs| {
            let Some(mut inv) = tx_get::<Invitation>(invs, &key)? else {
                return abort(AccountError::NotFound);
            };
            if inv.status != InvitationStatus::Pending {
                return abort(AccountError::NotFound);
            }
            inv.status = InvitationStatus::Revoked;
            invs.insert(&key[..], encode(&inv))?;
            Ok(inv)
        }))
    }

    /// Accepts an invitation: creates or activates the user, adds the membership, marks the
    /// invitation used and issues a login token under `token_hash` — all or nothing.
    pub fn accept_invitation(
        &self,
        invitation_token: &KeyHash,
        acceptor: Acceptor,
        login_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Invitation, User, Token), AccountError> {
        let token_hash = crate::secrets::key_hash(login_key);
        let dropped = match &acceptor {
            Acceptor::Claim { user_id, .. } => self.unproven_memberships(*user_id, None)?,
            _ => Vec::new(),
        };
        let t = self.trees();
        finish::<_, AccountError>(
            (
                &t.invitations,
                &t.invitations_by_token,
                &t.users,
                &t.users_by_email,
                &t.memberships,
                &t.memberships_by_user,
                &t.tokens,
                &t.tokens_by_owner,
            )
                .transaction(
                    |(
                        invs,
                        invs_by_token,
                        users,
                        by_email,
                        members,
                        members_by_user,
                        tokens,
                        by_owner,
                    )| {
                        let Some(inv_key) = invs_by_token.get(invitation_token.as_slice())? else {
                            return abort(AccountError::InvalidToken);
                        };
                        let Some(mut inv) = tx_get::<Invitation>(invs, &inv_key)? else {
                            return abort(AccountError::InvalidToken);
                        };
                        if inv.status != InvitationStatus::Pending || inv.expires_at <= now {
                            return abort(AccountError::InvalidToken);
                        }
                        let inviter = tx_get::<Membership>(
                            members,
                            &keys::pair(inv.tenant_id, inv.invited_by),
                        )?;
                        if !inviter.is_some_and(|m| m.role == Role::Admin) {
                            return abort(AccountError::InvalidToken);
                        }
                        let user = match &acceptor {
                            Acceptor::New {
                                user_id,
                                password_hash,
                            } => {
                                if by_email.get(inv.email.as_bytes())?.is_some() {
                                    return abort(AccountError::EmailTaken);
                                }
                                let user = User {
                                    id: *user_id,
                                    email: inv.email.clone(),
                                    password_hash: password_hash.clone(),
                                    is_active: true,
                                    created_at: now,
                                };
                                by_email.insert(inv.email.as_bytes(), &keys::id(user.id))?;
                                user
                            }
                            Acceptor::Existing(id) => {
                                let Some(mut user) = tx_get::<User>(users, &keys::id(*id))? else {
                                    return abort(AccountError::InvalidToken);
                                };
                                if members.get(keys::pair(inv.tenant_id, user.id))?.is_some() {
                                    return abort(AccountError::AlreadyMember);
                                }
                                // The invitation reached this mailbox, which proves it.
                                user.is_active = true;
                                user
                            }
                            Acceptor::Claim {
                                user_id,
                                password_hash,
                            } => {
                                let Some(mut user) = tx_get::<User>(users, &keys::id(*user_id))?
                                else {
                                    return abort(AccountError::InvalidToken);
                                };
                                if user.is_active {
                                    // Verified meanwhile: its own password is needed now.
                                    return abort(AccountError::EmailTaken);
                                }
                                user.password_hash = password_hash.clone();
                                user.is_active = true;
                                drop_memberships_tx(members, members_by_user, user.id, &dropped)?;
                                user
                            }
                        };
                        users.insert(&keys::id(user.id), encode(&user))?;
                        let membership = Membership {
                            tenant_id: inv.tenant_id,
                            user_id: user.id,
                            role: inv.role,
                            created_at: now,
                        };
                        members.insert(&keys::pair(inv.tenant_id, user.id), encode(&membership))?;
                        members_by_user.insert(&keys::pair(user.id, inv.tenant_id), &[])?;
                        inv.status = InvitationStatus::Accepted;
                        invs.insert(inv_key.clone(), encode(&inv))?;
                        invs_by_token.remove(invitation_token.as_slice())?;
                        let token = Token::login(inv.tenant_id, user.id, login_key, now);
                        tokens.insert(token_hash.as_slice(), encode(&token))?;
                        by_owner.insert(
                            keys::triple(token.tenant_id, token.user_id, token.id),
                            token_hash.as_slice(),
                        )?;
                        Ok((inv, user, token))
                    },
                ),
        )
    }
}

/// Removes the user's memberships in `tenants`, inside a transaction.
fn drop_memberships_tx(
    members: &TransactionalTree,
    members_by_user: &TransactionalTree,
    user: Uuid,
    tenants: &[Uuid],
) -> TxResult<()> {
    for tenant in tenants {
        members.remove(&keys::pair(*tenant, user)[..])?;
        members_by_user.remove(&keys::pair(user, *tenant)[..])?;
    }
    Ok(())
}

fn remove_token_tx(
    tokens: &TransactionalTree,
    by_owner: &TransactionalTree,
    hash: &KeyHash,
) -> TxResult<Option<Token>> {
    let Some(token) = tx_get::<Token>(tokens, hash)? else {
        return Ok(None);
    };
    tokens.remove(hash.as_slice())?;
    by_owner.remove(keys::triple(token.tenant_id, token.user_id, token.id))?;
    Ok(Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{key_hash, new_token_key};

    fn registration(email: &str) -> Registration {
        Registration {
            email: email.into(),
            password_hash: "x".into(),
            organization_name: "Acme".into(),
            verification: key_hash(&new_token_key()),
        }
    }

    #[tokio::test]
    async fn registration_is_unique_per_email_and_verification_is_single_use() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let reg = registration("a@x.de");
        let verification = reg.verification;
        let (tenant, user) = store.register(reg, now).unwrap();
        assert!(!user.is_active);
        assert_eq!(store.members(tenant.id).unwrap()[0].role, Role::Admin);
        assert!(matches!(
            store.verify_email(&verification, now + Duration::hours(25)),
            Err(AccountError::InvalidToken)
        ));
        assert!(store.verify_email(&verification, now).unwrap().is_active);
        assert!(matches!(
            store.verify_email(&verification, now),
            Err(AccountError::InvalidToken)
        ));
        // Verified, the address cannot be registered again.
        assert!(matches!(
            store.register(registration("a@x.de"), now),
            Err(AccountError::EmailTaken)
        ));
    }

    #[tokio::test]
    async fn the_proven_registration_of_an_unverified_address_wins() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let squat = Registration {
            password_hash: "squatter".into(),
            ..registration("a@x.de")
        };
        let (squat_tenant, user) = store.register(squat, now).unwrap();
        let owner = Registration {
            password_hash: "owner".into(),
            ..registration("a@x.de")
        };
        let proof = owner.verification;
        let (owner_tenant, same) = store.register(owner, now).unwrap();
        assert_eq!(same.id, user.id, "one account per address");
        let verified = store.verify_email(&proof, now).unwrap();
        assert!(verified.is_active);
        assert_eq!(verified.password_hash, "owner");
        let tenants: Vec<Uuid> = store
            .memberships_of_user(user.id)
            .unwrap()
            .into_iter()
            .map(|m| m.tenant_id)
            .collect();
        assert_eq!(tenants, [owner_tenant.id]);
        assert!(store.members(squat_tenant.id).unwrap().is_empty());
    }

    #[tokio::test]
    async fn last_admin_stays_and_removal_drops_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let (tenant, admin) = store.register(registration("a@x.de"), now).unwrap();
        assert!(matches!(
            store.set_role(tenant.id, admin.id, Role::Member),
            Err(AccountError::LastAdmin)
        ));
        assert!(matches!(
            store.remove_member(tenant.id, admin.id),
            Err(AccountError::LastAdmin)
        ));

        let inv = Invitation {
            id: Uuid::new_v4(),
            tenant_id: tenant.id,
            email: "b@x.de".into(),
            role: Role::Admin,
            status: InvitationStatus::Pending,
            invited_by: admin.id,
            created_at: now,
            expires_at: now + Duration::days(7),
        };
        let inv_token = key_hash("invite");
        store.create_invitation(&inv, &inv_token).unwrap();
        assert!(store.pending_invitation(&inv_token, now).unwrap().is_some());
        let late = now + Duration::days(7);
        assert!(
            store
                .pending_invitation(&inv_token, late)
                .unwrap()
                .is_none()
        );
        let key = new_token_key();
        let acceptor = Acceptor::New {
            user_id: Uuid::new_v4(),
            password_hash: "h".into(),
        };
        assert!(matches!(
            store.accept_invitation(&inv_token, acceptor, &key, late),
            Err(AccountError::InvalidToken)
        ));
        let key = new_token_key();
        let acceptor = Acceptor::New {
            user_id: Uuid::new_v4(),
            password_hash: "h".into(),
        };
        let (_, second, _) = store
            .accept_invitation(&inv_token, acceptor, &key, now)
            .unwrap();
        assert!(store.pending_invitation(&inv_token, now).unwrap().is_none());
        assert_eq!(store.tokens_of(tenant.id, second.id).unwrap().len(), 1);

        // Two admins now: either may go, and the leaver's tokens go too.
        store.remove_member(tenant.id, second.id).unwrap();
        assert!(store.token(&key_hash(&key)).unwrap().is_none());
        assert!(store.tokens_of(tenant.id, second.id).unwrap().is_empty());
        assert!(store.memberships_of_user(second.id).unwrap().is_empty());
    }
}
