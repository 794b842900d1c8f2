//! Signing up: registering a tenant with its first admin, and proving the address.
//!
//! Users are global (one email, one password, many tenants). Several writers reach these
//! tables (registration, invitations), so what a write depends on is read again inside its
//! transaction.

use crate::engine::tx::abort;
use certwatch_domain::accounts::{
    Membership, RegistrationClaim, Role, Tenant, User, VERIFICATION_TTL_HOURS, Verification,
};
use certwatch_domain::digest::{DEFAULT_WINDOWS, Frequency};
use certwatch_domain::registry::default_types;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::engine::secrets::{KeyHash, key_hash, new_token_key};
use crate::engine::tx::{Tx, TxResult, transact};
use crate::tables::{
    cert_types, memberships, password_resets, registration_claims, tenants, users, verifications,
};
use crate::{AccountError, Store, StoreError};

/// What registration writes, besides the ids it makes up.
pub struct Registration {
    /// The new tenant's id: on a node of several, one of a shard the node holds.
    pub tenant_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub organization_name: String,
    pub verification: KeyHash,
}

/// Creates a tenant, its first (inactive) user as admin, and a verification token. An
/// address whose account exists but was never verified registers again: the new tenant
/// and a claim wait for the mailbox to be proven (see [`RegistrationClaim`]).
pub fn register(
    store: &Store,
    reg: Registration,
    now: DateTime<Utc>,
) -> Result<(Tenant, User), AccountError> {
    let tenant = Tenant {
        id: reg.tenant_id,
        name: reg.organization_name,
        created_at: now,
        public_listing: false,
        digest_frequency: Frequency::Daily,
        expiry_windows: DEFAULT_WINDOWS.to_vec(),
        reminders: certwatch_domain::requests::ReminderSettings::default(),
    };
    let unverified = match users::by_email(store, &reg.email)? {
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
        digest: false,
    };
    let verification = Verification {
        user_id: user.id,
        expires_at: now + Duration::hours(VERIFICATION_TTL_HOURS),
    };
    let types = default_types(tenant.id, now);
    let tables = [
        tenants::TREES,
        users::TREES,
        memberships::TREES,
        verifications::TREES,
        cert_types::TREES,
        registration_claims::TREES,
    ];
    transact(store, &tables, |tx| {
        match (users::id_by_email_in(tx, &user.email)?, &claim) {
            (None, None) => users::put(tx, &user)?,
            (Some(id), Some(claim)) if id == user.id => {
                // Still unverified (a verification in between would have made this
                // registration wrong): the claim waits for proof.
                match users::get_in::<AccountError>(tx, id)? {
                    Some(u) if !u.is_active => {}
                    _ => return abort(AccountError::EmailTaken),
                }
                registration_claims::put(tx, &reg.verification, claim)?;
            }
            _ => return abort(AccountError::EmailTaken),
        }
        tenants::put(tx, &tenant)?;
        memberships::put(tx, &membership)?;
        verifications::put(tx, &reg.verification, &verification)?;
        // A new tenant starts with the common certificate types.
        for ty in &types {
            cert_types::put(tx, ty)?;
        }
        Ok(())
    })?;
    Ok((tenant, user))
}

/// The tenants of an unverified user other than `keep`: what unproven registrations of
/// the address made, dropped when the mailbox is proven.
pub(crate) fn unproven_memberships(
    store: &Store,
    user: Uuid,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(memberships::of_user(store, user)?
        .into_iter()
        .map(|m| m.tenant_id)
        .filter(|t| Some(*t) != keep)
        .collect())
}

/// Removes the user's memberships in `tenants`, inside a transaction.
pub(crate) fn drop_memberships<E>(tx: &Tx, user: Uuid, tenants: &[Uuid]) -> TxResult<(), E> {
    for tenant in tenants {
        memberships::remove(tx, *tenant, user)?;
    }
    Ok(())
}

/// Consumes a verification token and activates its user. A token of a registration
/// claim also sets that registration's password and drops the memberships the other,
/// unproven registrations of the address made.
pub fn verify_email(
    store: &Store,
    token: &KeyHash,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    let claim = registration_claims::get(store, token)?;
    let (dropped, links) = match (&claim, verifications::get(store, token)?) {
        (Some(c), Some(v)) => (
            unproven_memberships(store, v.user_id, Some(c.tenant_id))?,
            password_resets::of_user(store, v.user_id)?,
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let tables = [
        verifications::TREES,
        users::TREES,
        registration_claims::TREES,
        memberships::TREES,
        password_resets::TREES,
    ];
    transact(store, &tables, |tx| {
        let Some(v) = verifications::get_in::<AccountError>(tx, token)? else {
            return abort(AccountError::InvalidToken);
        };
        if v.expires_at <= now {
            return abort(AccountError::InvalidToken);
        }
        let Some(mut user) = users::get_in::<AccountError>(tx, v.user_id)? else {
            return abort(AccountError::InvalidToken);
        };
        verifications::remove(tx, token)?;
        if let Some(claim) = &claim
            && !user.is_active
        {
            registration_claims::remove(tx, token)?;
            // The password changes: the account's reset links end with the old one.
            user.password_hash = claim.password_hash.clone();
            for link in &links {
                password_resets::remove(tx, link)?;
            }
            drop_memberships(tx, user.id, &dropped)?;
        }
        user.is_active = true;
        users::put(tx, &user)?;
        Ok(user)
    })
}

/// A further verification link for the unverified account of `email` (a resent mail): its
/// user and the link's key, or none when no unverified account has that address.
///
/// Any other address costs the same work — a key made, a record written and made durable
/// by the caller — so the time to answer does not tell which addresses have accounts. Its
/// record names no user (the nil id) and expires like a link; no one knows its key.
pub fn resend_verification(
    store: &Store,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, StoreError> {
    let user = users::by_email(store, email)?.filter(|u| !u.is_active);
    let key = new_token_key();
    let to = user.as_ref().map_or(Uuid::nil(), |u| u.id);
    add_verification(store, to, &key_hash(&key), now)?;
    Ok(user.map(|user| (user, key)))
}

/// A further verification link for `user_id` (a resent mail).
pub fn add_verification(
    store: &Store,
    user_id: Uuid,
    token: &KeyHash,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let v = Verification {
        user_id,
        expires_at: now + Duration::hours(VERIFICATION_TTL_HOURS),
    };
    transact(store, &[verifications::TREES], |tx| {
        verifications::put(tx, token, &v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::secrets::{key_hash, new_token_key};
    use crate::ops::invitations::{self, Acceptor};
    use crate::ops::members;
    use crate::tables;
    use certwatch_domain::accounts::{Invitation, InvitationStatus};

    #[tokio::test]
    async fn a_resend_for_any_address_costs_a_write_and_only_an_unverified_one_gets_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        register(&store, registration("new@x.de"), now).unwrap();
        let tree = store.tree(crate::engine::trees::Tree::Verifications);
        let before = tree.len().unwrap();
        assert!(
            resend_verification(&store, "new@x.de", now)
                .unwrap()
                .is_some()
        );
        assert!(
            resend_verification(&store, "nobody@x.de", now)
                .unwrap()
                .is_none()
        );
        assert_eq!(
            tree.len().unwrap(),
            before + 2,
            "the unknown address wrote its stand-in"
        );
    }

    fn registration(email: &str) -> Registration {
        Registration {
            tenant_id: uuid::Uuid::new_v4(),
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
        let (tenant, user) = register(&store, reg, now).unwrap();
        assert!(!user.is_active);
        assert_eq!(
            tables::memberships::of_tenant(&store, tenant.id).unwrap()[0].role,
            Role::Admin
        );
        assert!(matches!(
            verify_email(&store, &verification, now + Duration::hours(25)),
            Err(AccountError::InvalidToken)
        ));
        assert!(verify_email(&store, &verification, now).unwrap().is_active);
        assert!(matches!(
            verify_email(&store, &verification, now),
            Err(AccountError::InvalidToken)
        ));
        // Verified, the address cannot be registered again.
        assert!(matches!(
            register(&store, registration("a@x.de"), now),
            Err(AccountError::EmailTaken)
        ));
    }

    #[tokio::test]
    async fn the_proven_registration_of_an_unverified_address_wins() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let squat = Registration {
            tenant_id: uuid::Uuid::new_v4(),
            password_hash: "squatter".into(),
            ..registration("a@x.de")
        };
        let (squat_tenant, user) = register(&store, squat, now).unwrap();
        let owner = Registration {
            tenant_id: uuid::Uuid::new_v4(),
            password_hash: "owner".into(),
            ..registration("a@x.de")
        };
        let proof = owner.verification;
        let (owner_tenant, same) = register(&store, owner, now).unwrap();
        assert_eq!(same.id, user.id, "one account per address");
        let verified = verify_email(&store, &proof, now).unwrap();
        assert!(verified.is_active);
        assert_eq!(verified.password_hash, "owner");
        let tenants: Vec<Uuid> = tables::memberships::of_user(&store, user.id)
            .unwrap()
            .into_iter()
            .map(|m| m.tenant_id)
            .collect();
        assert_eq!(tenants, [owner_tenant.id]);
        assert!(
            tables::memberships::of_tenant(&store, squat_tenant.id)
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn last_admin_stays_and_removal_drops_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let (tenant, admin) = register(&store, registration("a@x.de"), now).unwrap();
        assert!(matches!(
            members::set_role(&store, tenant.id, admin.id, Role::Member),
            Err(AccountError::LastAdmin)
        ));
        assert!(matches!(
            members::remove(&store, tenant.id, admin.id),
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
        invitations::create(&store, &inv, &inv_token).unwrap();
        assert!(
            invitations::pending(&store, &inv_token, now)
                .unwrap()
                .is_some()
        );
        let late = now + Duration::days(7);
        assert!(
            invitations::pending(&store, &inv_token, late)
                .unwrap()
                .is_none()
        );
        let key = new_token_key();
        let acceptor = Acceptor::New {
            user_id: Uuid::new_v4(),
            password_hash: "h".into(),
        };
        assert!(matches!(
            invitations::accept(&store, &inv_token, acceptor, &key, late),
            Err(AccountError::InvalidToken)
        ));
        let key = new_token_key();
        let acceptor = Acceptor::New {
            user_id: Uuid::new_v4(),
            password_hash: "h".into(),
        };
        let (_, second, _) = invitations::accept(&store, &inv_token, acceptor, &key, now).unwrap();
        assert!(
            invitations::pending(&store, &inv_token, now)
                .unwrap()
                .is_none()
        );
        assert_eq!(
            tables::tokens::of(&store, tenant.id, second.id)
                .unwrap()
                .len(),
            1
        );

        // Two admins now: either may go, and the leaver's tokens go too.
        members::remove(&store, tenant.id, second.id).unwrap();
        assert!(
            tables::tokens::get(&store, &key_hash(&key))
                .unwrap()
                .is_none()
        );
        assert!(
            tables::tokens::of(&store, tenant.id, second.id)
                .unwrap()
                .is_empty()
        );
        assert!(
            tables::memberships::of_user(&store, second.id)
                .unwrap()
                .is_empty()
        );
    }
}
