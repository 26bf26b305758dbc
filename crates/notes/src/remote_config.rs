//! `[remote]`: the forge repositories a configuration names, and their tokens (never shown).

use serde::Deserialize;

/// One forge repository in `[remote]`. Its `Debug` shows whether a token is set, never the token.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteRepo {
    /// The owner (user or organisation).
    pub owner: String,
    /// The repository name.
    pub repo: String,
    /// Set from the configuration, rather than found from the git remote.
    #[serde(skip_deserializing, default = "default_true")]
    pub is_custom: bool,
    /// The forge's API URL.
    pub api_url: Option<String>,
    /// The token for the forge's API (`token = "…"`); never serialized into a template's context.
    #[serde(skip_serializing)]
    pub token: Option<String>,
}

fn default_true() -> bool {
    true
}

impl std::fmt::Debug for RemoteRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteRepo")
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("is_custom", &self.is_custom)
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl RemoteRepo {
    /// Whether owner and repo are both known.
    pub fn is_set(&self) -> bool {
        !self.owner.is_empty() && !self.repo.is_empty()
    }
}

/// `[remote]`: the forge repositories templates can link to, and which GitHub `release-notes` asks
/// for `github.contributors` and each commit's pull request (unless `offline`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteConfig {
    /// Whether to stay offline: no forge is asked.
    pub offline: bool,
    /// `[remote.github]`.
    pub github: RemoteRepo,
    /// `[remote.gitlab]`.
    pub gitlab: RemoteRepo,
    /// `[remote.gitea]`.
    pub gitea: RemoteRepo,
    /// `[remote.bitbucket]`.
    pub bitbucket: RemoteRepo,
    /// `[remote.azure_devops]`.
    pub azure_devops: RemoteRepo,
}

impl RemoteConfig {
    /// The forges, by their names in `[remote]` and in templates.
    pub const FORGES: [&'static str; 5] = ["github", "gitlab", "gitea", "bitbucket", "azure_devops"];

    /// Whether any forge repository is configured.
    pub fn is_any_set(&self) -> bool {
        RemoteConfig::FORGES.iter().filter_map(|name| self.forge(name)).any(RemoteRepo::is_set)
    }

    /// The repository of the forge `name` (one of [`RemoteConfig::FORGES`]).
    pub fn forge(&self, name: &str) -> Option<&RemoteRepo> {
        match name {
            "github" => Some(&self.github),
            "gitlab" => Some(&self.gitlab),
            "gitea" => Some(&self.gitea),
            "bitbucket" => Some(&self.bitbucket),
            "azure_devops" => Some(&self.azure_devops),
            _ => None,
        }
    }

    /// [`RemoteConfig::forge`], to change.
    pub fn forge_mut(&mut self, name: &str) -> Option<&mut RemoteRepo> {
        match name {
            "github" => Some(&mut self.github),
            "gitlab" => Some(&mut self.gitlab),
            "gitea" => Some(&mut self.gitea),
            "bitbucket" => Some(&mut self.bitbucket),
            "azure_devops" => Some(&mut self.azure_devops),
            _ => None,
        }
    }
}
