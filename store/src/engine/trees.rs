//! The store's sled trees, named once. Each belongs to one table module (`tables/`), which
//! alone knows its keys; [`Tree::ALL`] is the order they are opened in.

macro_rules! trees {
    ($($variant:ident = $name:literal,)*) => {
        /// One sled tree of the store.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tree {
            $($variant,)*
        }

        impl Tree {
            pub const ALL: &[Tree] = &[$(Tree::$variant,)*];

            /// The tree's name in the sled database.
            pub fn name(self) -> &'static str {
                match self {
                    $(Tree::$variant => $name,)*
                }
            }
        }
    };
}

trees! {
    Meta = "meta",
    Tenants = "tenants",
    Users = "users",
    UsersByEmail = "users_by_email",
    Memberships = "memberships",
    MembershipsByUser = "memberships_by_user",
    Tokens = "tokens",
    TokensByOwner = "tokens_by_owner",
    Verifications = "verifications",
    PasswordResets = "password_resets",
    Invitations = "invitations",
    InvitationsByToken = "invitations_by_token",
    RegistrationClaims = "registration_claims",
    Organizations = "organizations",
    OrgByExternalId = "org_by_external_id",
    Sites = "sites",
    SitesByOrg = "sites_by_org",
    CertTypes = "cert_types",
    CertTypeByCode = "cert_type_by_code",
    Certificates = "certificates",
    CertsByOrg = "certs_by_org",
    CertsByNumber = "certs_by_number",
    CertHistory = "cert_history",
    ExpiryNotices = "expiry_notices",
    Events = "events",
    ImportRuns = "import_runs",
    Subscribers = "subscribers",
    Subscriptions = "subscriptions",
    Deliveries = "deliveries",
    DeliveriesByTime = "deliveries_by_time",
    DeliveriesDue = "deliveries_due",
    ApiKeys = "api_keys",
    ApiKeysByTenant = "api_keys_by_tenant",
    Endpoints = "endpoints",
    EndpointsByOrg = "endpoints_by_org",
    EndpointByUrl = "endpoint_by_url",
    ScrapeLogs = "scrape_logs",
    ScrapeLogsByTime = "scrape_logs_by_time",
    ScrapeLogsByEndpoint = "scrape_logs_by_endpoint",
    BulkBatches = "bulk_batches",
    BulkItems = "bulk_items",
    BulkItemsByBatch = "bulk_items_by_batch",
    BulkAttempts = "bulk_attempts",
    DigestNotices = "digest_notices",
    DigestRuns = "digest_runs",
    Contacts = "contacts",
    ContactsByOrg = "contacts_by_org",
    Requirements = "requirements",
    CertRequests = "cert_requests",
    CertRequestsOpen = "cert_requests_open",
    CertRequestsByToken = "cert_requests_by_token",
    ComplianceStates = "compliance_states",
    RegisterAccounts = "register_accounts",
    RegisterChecks = "register_checks",
    CertVerifications = "cert_verifications",
    RegisterEntities = "register_entities",
    MailAccounts = "mail_accounts",
    MailMessages = "mail_messages",
}

impl Tree {
    /// Whether the tree's keys start with a tenant's id (`keys`): its records belong to
    /// that tenant's shard (`leases`). The others hold records of no one tenant — users,
    /// sessions, the indexes from a token or key to its record — and the store's meta.
    pub fn keyed_by_tenant(self) -> bool {
        !matches!(
            self,
            Tree::Meta
                | Tree::Users
                | Tree::UsersByEmail
                | Tree::MembershipsByUser
                | Tree::Tokens
                | Tree::Verifications
                | Tree::PasswordResets
                | Tree::InvitationsByToken
                | Tree::RegistrationClaims
                | Tree::DeliveriesDue
                | Tree::ApiKeys
                | Tree::CertRequestsByToken
                | Tree::MailMessages
        )
    }
}

/// Every tree, opened.
pub struct Trees(Vec<sled::Tree>);

impl Trees {
    pub(crate) fn open(db: &sled::Db) -> Result<Trees, sled::Error> {
        Tree::ALL
            .iter()
            .map(|t| db.open_tree(t.name()))
            .collect::<Result<_, _>>()
            .map(Trees)
    }

    pub(crate) fn sled_tree(&self, tree: Tree) -> &sled::Tree {
        // `open` opened one tree per variant, in declaration order.
        &self.0[tree as usize]
    }
}
